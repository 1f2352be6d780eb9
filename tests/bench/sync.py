"""Sync benchmark: the first sync of a big collection (push from one machine, pull into an empty one) and an
incremental sync of one day's answers, against a throwaway local PostgreSQL server (tests/pg.py).

    python -m tests.bench.sync              # 50,000 cards / 500,000 answers, 200 new answers
    python -m tests.bench.sync --size tiny  # CI smoke run: every step runs, timings are not judged

Each figure comes with a floor measured in the same run: reading every answer of the collection from SQLite.
The first pull is also run as a learner runs it, `dva-cards sync` in a fresh process, for its peak memory (RSS),
judged against the collection file: at most 4x its size + 150 MB.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from dva_cards import sync_local, sync_server
from dva_cards.store import Store
from tests.bench.generate import make_collection
from tests.pg import PASSWORD, running_server

SIZES = {"tiny": (300, 3_000, 20), "full": (50_000, 500_000, 200)}


def sync(db: Path, url: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    conn = sync_server.connect(url)
    try:
        server = sync_server.ensure_schema(conn, url)
        with Store.open(db) as store:
            device = sync_local.device_id(store)
            pushed, seen = sync_local.watermarks(store, server)
            sync_local.stamp(store)
            snapshot = sync_local.outgoing(store, device, pushed)
            pulled, seq = sync_server.exchange(conn, device, snapshot.outgoing, seen)
            plan, replayed = sync_local.apply(
                store,
                pulled,
                server=server,
                pushed_clock=snapshot.max_clock,
                server_seq=seq,
                now="2026-01-01",
            )
    finally:
        conn.close()
    took = time.perf_counter() - started
    sent = sync_local.counts_of(snapshot.outgoing)
    return took, {
        "sent": sent.as_json(),
        "received": {"cards": len(plan.cards), "reviews": len(plan.new_reviews)},
        "replayed": replayed,
    }


def consistent(db: Path) -> Path:
    """Every card's state set to the replay of its log (the generator's states are drawn apart from it), as the
    review loop keeps them."""
    with Store.open(db) as store, store.transaction():
        sync_local.rederive(store, None)
    return db


def add_answers(db: Path, count: int) -> None:
    """`count` more answers on existing cards, on a later day, each card then in the state its log gives, as the
    review loop leaves it (the triggers stamp the answers' ids and clocks)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, ease_before, interval_before, "
            "due_before, drill_before, lapses_before, leech_before, suspended_before, reps_after, ease_after, "
            f"interval_after, due_after, drill_after, lapses_after FROM review ORDER BY id DESC LIMIT {count}"
        ).fetchall()
        conn.executemany(
            "INSERT INTO review (card_id, reviewed_at, day, quality, kind, duration_ms, reps_before, ease_before, "
            "interval_before, due_before, drill_before, lapses_before, leech_before, suspended_before, reps_after, "
            "ease_after, interval_after, due_after, drill_after, lapses_after) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], "2099-01-01 10:00:00", "2099-01-01", *r[3:]) for r in rows],
        )
        conn.commit()
    with Store.open(db) as store, store.transaction():
        sync_local.rederive(store, {r[0] for r in rows})


def first_pull_in_a_process(db: Path, url: str) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of `dva-cards sync --json` filling the empty collection `db`: the process's
    own peak, read from its resource usage when it ends (Linux reports kilobytes)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "dva_cards", "--db", str(db), "sync", url, "--json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _pid, status, usage = os.wait4(child.pid, 0)
    took = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"dva-cards sync failed: {child.stderr.read().decode() if child.stderr else ''}")
    return took, usage.ru_maxrss * 1024


def floor(db: Path) -> float:
    started = time.perf_counter()
    with closing(sqlite3.connect(db)) as conn:
        for _row in conn.execute("SELECT * FROM review"):
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="full")
    args = parser.parse_args()
    cards, reviews, day = SIZES[args.size]
    os.environ["PGPASSWORD"] = PASSWORD
    with running_server() as server, tempfile.TemporaryDirectory() as tmp:
        url = server.create_database()
        first, second = Path(tmp) / "a.db", Path(tmp) / "b.db"
        consistent(make_collection(first, cards=cards, reviews=reviews))
        Store.open(second).close()
        base = floor(first)
        print(
            f"collection: {cards:,} cards, {reviews:,} answers; floor (read every answer from SQLite): {base:.2f} s"
        )
        for label, db in (("first sync, push", first), ("first sync, pull into an empty collection", second)):
            took, rows = sync(db, url)
            print(f"{label}: {took:.2f} s ({took / base:.1f}x floor) {rows}")
        third = Path(tmp) / "c.db"
        Store.open(third).close()
        took, peak = first_pull_in_a_process(third, url)
        size = first.stat().st_size
        limit = 4 * size + 150 * 2**20
        print(
            f"first pull, `dva-cards sync` in a fresh process: {took:.2f} s ({took / base:.1f}x floor), "
            f"peak RSS {peak / 2**20:.0f} MB; collection file {size / 2**20:.0f} MB (pulled: "
            f"{third.stat().st_size / 2**20:.0f} MB), limit 4x file + 150 MB = {limit / 2**20:.0f} MB: "
            + ("within" if peak <= limit else "OVER")
        )
        add_answers(first, day)
        for label, db in (("incremental, push", first), ("incremental, pull", second)):
            took, rows = sync(db, url)
            print(f"{label} of {day} answers: {took:.3f} s {rows}")
        # The same, as a learner runs it: `dva-cards sync` in a fresh process (startup and imports included).
        add_answers(first, day)
        for label, db in (("incremental, push", first), ("incremental, pull", second)):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "dva_cards", "--db", str(db), "sync", url, "--json"],
                check=True, capture_output=True, timeout=300,
            )  # fmt: skip
            print(
                f"{label} of {day} answers, `dva-cards sync` in a fresh process: {time.perf_counter() - started:.3f} s"
            )


if __name__ == "__main__":
    main()
