"""`dva-cards review`: the daily session, or cram."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app, state_of
from .output import make_console, user_error


@app.command("review")
def review_command(
    ctx: typer.Context,
    deck: Annotated[str | None, typer.Option("--deck", help="Only this deck (default: all decks).")] = None,
    new: Annotated[
        int | None,
        typer.Option(
            "--new", min=0, help="New cards in this session, instead of what is left of new-per-day."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=0, help="Due reviews in this session (cards, with --cram) instead of today's rest."
        ),
    ] = None,
    cram: Annotated[
        bool, typer.Option("--cram", help="Practice any cards, shuffled; the schedule is not changed.")
    ] = False,
    section: Annotated[
        str | None,
        typer.Option("--section", help='With --cram: only this section, e.g. "Lambda" or "EC2 › EBS".'),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="With --cram: a fixed shuffle.")] = None,
) -> None:
    """Today's review session: due cards, then new ones, then drills. Keys: space shows, 0-5 grades, ? help."""

    from ..keys import open_keys
    from ..review import SessionOptions, launch_editor, run_session
    from ..settings import effective
    from ..starter_deck import import_if_empty

    if deck is not None and not deck.strip():
        raise user_error("--deck must not be empty")
    if section is not None and not cram:
        raise user_error("--section works with --cram only (a daily session always covers whole decks)")
    if section is not None and not section.strip():
        raise user_error("--section must not be empty")
    if cram and new is not None:
        raise user_error("--new applies to the daily session; --cram takes --limit")
    if seed is not None and not cram:
        raise user_error("--seed works with --cram only")
    console = make_console()
    state = state_of(ctx)
    with state.open_store() as store:
        settings = effective(store.settings())
        starter = import_if_empty(store, deck, state.now())
        if starter is not None:
            console.print(
                f"Your collection was empty, so the bundled deck {starter.name} was imported "
                f"({starter.cards} cards). Add your own notes with: dva-cards import NOTES.md",
                markup=False,
            )
        options = SessionOptions(
            deck=deck, cram=cram, section=section, new_limit=new, review_limit=limit, seed=seed
        )
        with open_keys() as keys:
            run_session(
                store, settings, now=state.now, console=console, keys=keys, options=options,
                edit=launch_editor,
            )  # fmt: skip
