"""Property: whatever two review sessions, imports, undos and prunes do to one collection, in any interleaving,
every card's state ends equal to the replay of its review log, and `dva-cards check` passes."""

from __future__ import annotations

import shutil
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards.domain import CardSchedule
from dva_cards.errors import CardChanged, CardGone
from dva_cards.grading import LeechPolicy, grade
from dva_cards.importer import import_notes, load_notes
from dva_cards.replay import disagreements
from dva_cards.store import Store
from tests.helpers import run, write

BULLETS = [f"* **T{n}** - answer {n}" for n in range(6)]
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def notes_text(kept: tuple[bool, ...]) -> str:
    return "# S\n\n" + "\n".join(bullet for bullet, keep in zip(BULLETS, kept, strict=True) if keep) + "\n"


@dataclass
class Session:
    store: Store
    seen: tuple[str, CardSchedule] | None = None
    history: list[tuple[int, str, CardSchedule]] = field(default_factory=list)


SESSION = st.sampled_from(["a", "b"])
STEP = st.one_of(
    st.tuples(st.just("load"), SESSION, st.integers(0, 2)),  # few cards: the sessions meet often
    st.tuples(st.just("answer"), SESSION, st.integers(0, 5)),
    st.tuples(st.just("undo"), SESSION),
    st.tuples(st.just("import"), st.tuples(*[st.booleans()] * len(BULLETS))),
    st.tuples(st.just("prune"), st.tuples(*[st.booleans()] * len(BULLETS))),
    st.tuples(
        st.just("day"),
    ),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "collection.db"
    notes = write(folder / "notes.md", notes_text((True,) * len(BULLETS)))
    with Store.open(path) as store:
        import_notes(store, load_notes([notes]), START, deck="d")
    return folder


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=40))
def test_card_state_is_the_replay_of_its_log_after_any_interleaving(
    steps: list[tuple[Any, ...]], template: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("run")
    path = folder / "collection.db"
    shutil.copyfile(template / "collection.db", path)
    notes = folder / "notes.md"
    write(notes, notes_text((True,) * len(BULLETS)))
    now = START
    sessions = {"a": Session(Store.open(path)), "b": Session(Store.open(path))}
    try:
        for step in steps:
            now += timedelta(seconds=1)  # each step a moment later, as a person works
            kind = step[0]
            if kind == "day":
                now += timedelta(days=1)
            elif kind in ("import", "prune"):
                write(notes, notes_text(step[1]))
                with Store.open(path) as importer:
                    import_notes(importer, load_notes([notes]), now, deck="d", prune=kind == "prune")
            else:
                session = sessions[step[1]]
                _act(session, kind, step[2:], now)
        for session in sessions.values():
            found = disagreements(session.store.card_logs())
            assert not [d for d in found if d.state_differs], found
            assert not [d for d in found if d.broken_links], found
    finally:
        for session in sessions.values():
            session.store.close()
    result = run("--db", str(path), "check")
    assert result.exit_code == 0, result.output


def _act(session: Session, kind: str, args: tuple[Any, ...], now: datetime) -> None:
    store = session.store
    if kind == "load":
        card_id = store.connection.execute(
            "SELECT id FROM card ORDER BY line LIMIT 1 OFFSET ?", (args[0],)
        ).fetchone()
        card = store.review_card(card_id[0]) if card_id else None
        session.seen = None if card is None else (card.id, card.schedule)
    elif kind == "answer" and session.seen is not None:
        card_id, seen = session.seen
        graded = grade(
            card_id, seen, args[0], today=now.date(), at=now, duration_ms=900, leeches=LeechPolicy(8, False)
        )
        try:
            review_id = store.record_answer(graded.answer)
        except (CardChanged, CardGone):
            card = store.review_card(card_id)  # what the session does: reload the card
            session.seen = None if card is None else (card.id, card.schedule)
            return
        session.history.append((review_id, card_id, seen))
        session.seen = None
    elif kind == "undo" and session.history:
        review_id, card_id, before = session.history.pop()
        # Another session answered meanwhile: the card keeps that answer.
        with suppress(CardChanged, CardGone):
            store.undo_answer(review_id, card_id, before)
