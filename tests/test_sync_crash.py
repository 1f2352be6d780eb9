"""kill -9 at random moments of `dva-cards sync` (20 times, two machines, a real PostgreSQL server): nothing is
lost, nothing is duplicated, and the next syncs complete what was cut short."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest

from tests.bench.generate import make_collection
from tests.bench.sync import add_answers, consistent
from tests.fixtures.reliability import cli_command, subprocess_env
from tests.pg import PASSWORD
from tests.test_sync_cli import card_states

KILLS = 20


def uids(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [row[0] for row in conn.execute("SELECT uid FROM review")]


def integrity(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def run_sync(home: Path, db: Path, url: str, kill_after: float | None) -> bool:
    """One `dva-cards sync` in a fresh process; SIGKILLed after `kill_after` seconds. True if it was killed."""
    process = subprocess.Popen(
        [*cli_command(), "sync", url, "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=subprocess_env(home, db, PGPASSWORD=PASSWORD),
        cwd=home,
    )
    try:
        if kill_after is None:
            _out, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
            return False
        try:
            process.wait(timeout=kill_after)
            return False
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=60)
            return True
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


@pytest.mark.slow
def test_sync_killed_at_random_moments_loses_and_duplicates_nothing(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    rng = random.Random(7)
    machines = []
    for seed, name in enumerate(("a", "b")):
        home = tmp_path / name
        home.mkdir()
        db = consistent(make_collection(home / "collection.db", cards=2_000, reviews=20_000, seed=seed))
        machines.append((home, db))
    given: set[str] = set()
    killed = attempts = 0
    while (
        killed < KILLS
    ):  # until 20 kills have landed while a sync ran (one that ended first is a clean sync)
        attempts += 1
        assert attempts <= 4 * KILLS, f"only {killed} of {attempts} kills landed during a sync"
        home, db = machines[attempts % 2]
        add_answers(db, 300)
        given.update(uids(db))
        killed += run_sync(home, db, pg_url, kill_after=rng.uniform(0.05, 1.5))
        assert integrity(db) == "ok"
    for _round in range(2):
        for home, db in machines:
            run_sync(home, db, pg_url, kill_after=None)
    (_, a), (_, b) = machines
    assert sorted(uids(a)) == sorted(uids(b)) == sorted(given)  # every answer, once, everywhere
    with psycopg.connect(pg_url) as conn:
        assert (
            conn.execute("SELECT count(*), count(DISTINCT uid) FROM review").fetchone() == (len(given),) * 2
        )
    assert card_states(a) == card_states(b)
