"""The starter deck: a fresh install has something to review, the bundled AWS DVA deck.

It goes only into a collection that never had a deck: one whose own notes gave no cards, or were all pruned,
is the learner's own and stays as it is.

The bundled copy is never the owner of its cards against the learner's own notes: importing the same notes
from anywhere (a checkout's `decks/aws-dva.md`, a copy in a notes folder) into the same deck takes the
first run's cards over, with their schedule and history, instead of adding every card a second time
(docs/rules.md, "Import sync").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from .importer import import_notes, load_notes
from .resources import bundled_deck
from .store import Store


@dataclass(frozen=True)
class StarterDeck:
    name: str
    cards: int  # cards added


def import_if_empty(store: Store, deck: str | None, at: datetime) -> StarterDeck | None:
    """Import the bundled deck if the collection never had a deck; `deck` is the one a session asked for."""
    if store.deck_names():
        return None
    notes_path = bundled_deck()
    name = notes_path.stem
    if deck is not None and deck != name:
        store.require_deck(deck)  # the unknown-deck error, before anything is written
    result = import_notes(store, load_notes([notes_path]), at, deck=name)
    return StarterDeck(name, result.counts.added)


def owning_file_exists(source: str) -> bool:
    """Whether the notes file a card came from still holds it against another file's import of the same term.

    Import sync lets a draft take over a card whose file is gone; the bundled deck counts as gone, so the
    learner's own copy of those notes adopts the cards the first run imported from it.
    """
    return source != str(bundled_deck()) and os.path.exists(source)
