"""Convergence: any interleaving of answers, undos, suspends, edits of the notes and syncs on 2-4 machines ends,
after a final sync of all, in the same cards everywhere, the union of every answer, each card the replay of it."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dva_cards import replay, sync_local, sync_server
from dva_cards.domain import Answer, CardSchedule
from dva_cards.errors import CardChanged
from dva_cards.importer import import_notes, load_notes
from dva_cards.scheduling import answer
from dva_cards.settings import effective
from dva_cards.store import Store
from tests.helpers import run
from tests.pg import PASSWORD, Server
from tests.test_sync_cli import card_states

NOTES = "# Ports\n\n- **22** - SSH\n- **80** - HTTP\n- **443** - HTTPS\n"
EDITED = "# Ports\n\n- **22** - Secure Shell\n- **80** - HTTP\n- **443** - HTTPS\n- **25** - SMTP\n"
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

operation = st.one_of(
    st.tuples(st.just("answer"), st.integers(0, 3), st.integers(0, 3), st.integers(0, 5)),
    st.tuples(st.just("undo"), st.integers(0, 3), st.just(0), st.just(0)),
    st.tuples(st.just("suspend"), st.integers(0, 3), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 3), st.just(0), st.just(0)),
    st.tuples(st.just("sync"), st.integers(0, 3), st.just(0), st.just(0)),
    st.tuples(st.just("next-day"), st.just(0), st.just(0), st.just(0)),
    st.tuples(st.just("scheduler"), st.integers(0, 3), st.just(0), st.booleans()),
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
            following = answer(
                before.state, before.memory, grade, day, effective(store.settings()).scheduling
            )
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

    def switch(self, fsrs: bool) -> None:
        result = run("--db", str(self.db), "config", "set", "scheduler", "fsrs" if fsrs else "sm2")
        assert result.exit_code == 0, result.output

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
                sync_local.stamp(store)
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


def disagreements(db: Path) -> tuple[str, list[Any]]:
    """What `dva-cards check` finds: each card against the replay of its whole log, as one machine replays it."""
    with Store.open(db) as store:
        chosen = effective(store.settings()).scheduling
        found = [item for item in replay.disagreements(store.card_logs(), chosen) if item.state_differs]
    return chosen.scheduler.value, found


def breaks(db: Path) -> list[Any]:
    """The breaks `dva-cards check` reports in the (merged) log."""
    with Store.open(db) as store:
        chosen = effective(store.settings()).scheduling
        found = replay.disagreements(store.card_logs(), chosen, merged=store.log_merged())
    return [item for item in found if item.broken_links]


def memories(db: Path) -> list[Any]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT id, stability, difficulty, memory_day FROM card ORDER BY id").fetchall()


def uids(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        return {row[0] for row in conn.execute("SELECT uid FROM review")}


@pytest.mark.parametrize("machines", [2, 3, 4])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, max_size=16))
@example(  # the same card answered on two machines before either has synced, then again on the merged state
    operations=[("answer", 0, 0, 4), ("answer", 1, 0, 2), ("sync", 0, 0, 0), ("sync", 1, 0, 0),
                ("sync", 0, 0, 0), ("answer", 0, 0, 5), ("answer", 1, 0, 3), ("sync", 1, 0, 0)]
)  # fmt: skip
def test_any_interleaving_converges(pg_server: Server, machines: int, operations: list[Any]) -> None:
    url = pg_server.create_database()
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = PASSWORD  # (monkeypatch is per test, not per example)
    try:
        converge(url, machines, operations)
    finally:
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before


def converge(url: str, machines: int, operations: list[Any]) -> None:
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
            elif kind == "scheduler":
                device.switch(bool(value))
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
        scheduler, found = disagreements(first.db)
        if scheduler == "sm2":
            assert found == []
        else:
            # Under FSRS a state is the one its last answer left, or the SM-2 state a switch kept: only the
            # memories are replays (of every machine's answers, with the same parameters everywhere).
            assert [item for item in found if item.stored_memory != item.replayed_memory] == []
        if "scheduler" not in {kind for kind, *_ in operations}:
            # Answers given at once on several machines are no break: `check` is clean on every machine (a
            # scheduler switch is a break on one machine too).
            for device in devices:
                assert breaks(device.db) == []
