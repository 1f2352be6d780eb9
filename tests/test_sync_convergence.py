"""Convergence: any interleaving of answers, undos, suspends, edits of the notes and syncs on 2-3 machines ends,
after a final sync of all, in the same cards everywhere, the union of every answer, each card the replay of it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards import sync_local, sync_server
from dva_cards.domain import Answer, CardSchedule
from dva_cards.errors import CardChanged
from dva_cards.importer import import_notes, load_notes
from dva_cards.scheduling import SM2_DEFAULTS, answer
from dva_cards.store import Store, read_date
from dva_cards.sync_merge import LoggedReview, rederived
from tests.pg import PASSWORD, Server
from tests.test_sync_cli import card_states

NOTES = "# Ports\n\n- **22** - SSH\n- **80** - HTTP\n- **443** - HTTPS\n"
EDITED = "# Ports\n\n- **22** - Secure Shell\n- **80** - HTTP\n- **443** - HTTPS\n- **25** - SMTP\n"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

operation = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 2), st.integers(0, 3), st.integers(0, 5)),
    st.tuples(st.just("undo"), st.integers(0, 2), st.just(0), st.just(0)),
    st.tuples(st.just("suspend"), st.integers(0, 2), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 2), st.just(0), st.just(0)),
    st.tuples(st.just("sync"), st.integers(0, 2), st.just(0), st.just(0)),
    st.tuples(st.just("next-day"), st.just(0), st.just(0), st.just(0)),
)


class Machine:
    def __init__(self, root: Path, name: str) -> None:
        self.db = root / name / "collection.db"
        self.notes = root / name / f"notes-{name}" / "net.md"
        self.notes.parent.mkdir(parents=True)
        self.undo: list[tuple[int, str, CardSchedule]] = []
        self.write_notes(NOTES)

    def write_notes(self, text: str) -> None:
        self.notes.write_text(text)
        with Store.open(self.db) as store:
            import_notes(store, load_notes([self.notes]), START)

    def answer(self, index: int, grade: int, now: datetime) -> None:
        with Store.open(self.db) as store:
            ids = sorted(
                row[0] for row in store.connection.execute("SELECT id FROM card WHERE retired_at IS NULL")
            )
            card = store.review_card(ids[index % len(ids)])
            assert card is not None
            before = card.schedule
            day = now.date()
            following = answer(before.state, before.memory, grade, day, SM2_DEFAULTS)
            review_id = store.record_answer(
                Answer(card.id, grade, "review", before, following.state, before.leech, before.suspended, now, day,
                       1000, following.memory)
            )  # fmt: skip
            self.undo.append((review_id, card.id, before))

    def undo_last(self) -> None:
        if not self.undo:
            return
        review_id, card_id, before = self.undo.pop()
        # A sync replayed the card since: the session says so and keeps the answer.
        with Store.open(self.db) as store, contextlib.suppress(CardChanged):
            store.undo_answer(review_id, card_id, before)

    def suspend(self, index: int, suspended: bool) -> None:
        with Store.open(self.db) as store:
            ids = sorted(row[0] for row in store.connection.execute("SELECT id FROM card"))
            store.set_suspended_many([ids[index % len(ids)]], suspended)

    def sync(self, url: str, now: datetime) -> None:
        conn = sync_server.connect(url)
        try:
            server = sync_server.ensure_schema(conn, url)
            with Store.open(self.db) as store:
                device = sync_local.device_id(store)
                pushed, seen = sync_local.watermarks(store, server)
                snapshot = sync_local.outgoing(store, device, pushed)
                pulled, seq = sync_server.exchange(conn, device, snapshot.outgoing, seen)
                sync_local.apply(
                    store,
                    pulled,
                    server=server,
                    pushed_clock=snapshot.max_clock,
                    server_seq=seq,
                    now=str(now),
                )
        finally:
            conn.close()
        self.undo.clear()  # a session's undo stack does not outlive it


def replayed(db: Path) -> dict[str, Any]:
    """Each card's state as a single machine's replay of the whole union of answers gives it."""
    with sqlite3.connect(db) as conn:
        logs: dict[str, list[LoggedReview]] = {row[0]: [] for row in conn.execute("SELECT id FROM card")}
        for card_id, uid, at, day, quality, kind in conn.execute(
            "SELECT card_id, uid, reviewed_at, day, quality, kind FROM review"
        ):
            if card_id in logs:
                logs[card_id].append(LoggedReview(uid, at, read_date(day), quality, kind, None))  # type: ignore[arg-type]
        rows = conn.execute("SELECT id, reps, ease, interval, due, drill, lapses FROM card").fetchall()
    out = {}
    for card_id, *stored in rows:
        state = rederived(card_id, logs[card_id], SM2_DEFAULTS).state
        out[card_id] = (
            tuple(stored),
            (state.reps, state.ease, state.interval, state.due.isoformat() if state.due else None,
             int(state.drill), state.lapses),
        )  # fmt: skip
    return out


def uids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT uid FROM review")}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(machines=st.integers(2, 3), operations=st.lists(operation, max_size=14))
def test_any_interleaving_converges(pg_server: Server, machines: int, operations: list[Any]) -> None:
    os.environ["PGPASSWORD"] = PASSWORD
    url = pg_server.create_database()
    with tempfile.TemporaryDirectory() as tmp:
        devices = [Machine(Path(tmp), f"m{n}") for n in range(machines)]
        now = START
        given_answers: set[str] = set()
        for kind, which, index, value in operations:
            device = devices[which % machines]
            now += timedelta(minutes=7)
            if kind == "answer":
                device.answer(index, value, now)
                given_answers |= uids(device.db)
            elif kind == "undo":
                device.undo_last()
            elif kind == "suspend":
                device.suspend(index, bool(value))
            elif kind == "edit":
                device.write_notes(EDITED)
            elif kind == "sync":
                device.sync(url, now)
            else:
                now += timedelta(days=1)
        for _round in range(2):
            for device in devices:
                device.sync(url, now)
        first = devices[0]
        for device in devices[1:]:
            assert card_states(device.db) == card_states(first.db)
            assert uids(device.db) == uids(first.db)
        union = set().union(*(uids(device.db) for device in devices))
        assert uids(first.db) == union
        for card_id, (stored, replay) in replayed(first.db).items():
            assert stored == replay, card_id
