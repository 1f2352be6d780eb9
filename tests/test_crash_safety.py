"""kill -9 at random moments: the collection stays sound and holds all or none of an import, and every
committed review answer, with nothing half-written.

The real command line runs as a subprocess and gets SIGKILL: no handler, no `finally`, no atexit runs, exactly
like a power cut to the process (the OS still writes what it was given, so this is process crash safety).
"""

from __future__ import annotations

import random
import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dva_cards import store as store_module
from dva_cards.domain import Answer
from tests.conftest import BUNDLED_DECK
from tests.fixtures.reliability import (
    bundled_template,
    cli_command,
    copy_collection,
    count,
    integrity,
    run_cli,
    subprocess_env,
)
from tests.helpers import dump, run

__all__ = ["bundled_template"]

COPIES = 20  # the bundled deck 20 times over, one deck per file: 11,000 cards, a few seconds of import
IMPORT_SEEDS = range(6)
REVIEW_SEEDS = range(5)
# Each logged with its value before and after the answer (the FSRS memory too), so the log chains them.
SCHEDULE_COLUMNS = ("reps", "ease", "interval", "due", "drill", "lapses", "stability", "difficulty")


@pytest.fixture(scope="module")
def big_notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big-notes")
    text = BUNDLED_DECK.read_bytes()
    for index in range(COPIES):
        (folder / f"part{index:03}.md").write_bytes(text)
    return folder


@dataclass
class KilledImport:
    seed: int
    mode: str
    db: Path
    finished: bool  # it exited on its own before the kill came


def _kill_import(seed: int, notes: Path, template: Path, base: Path, clean_seconds: float) -> KilledImport:
    """One import, SIGKILLed after a random delay (from its start to a little after a clean run's duration, so
    around the commit too), or once its transaction has spilled a random amount of pages into the WAL (so the
    kill lands mid-transaction on any machine, fast or slow)."""
    rng = random.Random(seed)
    home = base / f"seed{seed}"
    home.mkdir()
    db = copy_collection(template, home / "collection.db")
    wal = db.with_name(db.name + "-wal")
    mode = ("wal", "delay", "late")[seed % 3]
    delay = (
        rng.uniform(0.05, 1.0) * clean_seconds if mode == "delay" else rng.uniform(0.85, 1.2) * clean_seconds
    )
    wal_bytes = rng.randint(64 * 1024, 6 * 1024 * 1024)
    process = subprocess.Popen(
        [*cli_command(), "import", "--json", str(notes)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=subprocess_env(home, db),
        cwd=home,
    )
    started = time.monotonic()
    try:
        while process.poll() is None:
            elapsed = time.monotonic() - started
            wal_size = wal.stat().st_size if wal.exists() else 0
            if (mode != "wal" and elapsed >= delay) or (mode == "wal" and wal_size >= wal_bytes):
                process.send_signal(signal.SIGKILL)
                break
            if elapsed > 120:
                raise AssertionError("the import never finished nor reached the kill point")
            time.sleep(0.005)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stderr is not None
        stderr = process.stderr.read().decode()
        process.stderr.close()
    finished = process.returncode == 0
    if not finished:
        assert process.returncode == -signal.SIGKILL, stderr
    return KilledImport(seed, mode, db, finished)


def test_import_killed_at_random_moments_lands_whole_or_not_at_all(
    big_notes: Path, bundled_template: Path, tmp_path: Path
) -> None:
    before = dump(bundled_template)
    before_cards = len(before["card"])
    # A clean run tells what "all of it" is, and how long the import takes on this machine.
    clean_seconds, clean_db = _clean_import(big_notes, bundled_template, tmp_path / "clean")
    after_cards = count(clean_db, "card")
    assert after_cards == before_cards * (
        COPIES + 1
    )  # the template holds the deck once; the folder is a deck
    killed = [
        _kill_import(seed, big_notes, bundled_template, tmp_path, clean_seconds) for seed in IMPORT_SEEDS
    ]

    outcomes = []
    for killed_run in killed:
        assert integrity(killed_run.db) == ["ok"], killed_run
        cards = count(killed_run.db, "card")
        outcomes.append((killed_run.seed, killed_run.mode, killed_run.finished, cards))
        assert cards in (before_cards, after_cards), outcomes
        if killed_run.finished:
            assert cards == after_cards
        state = dump(killed_run.db)
        assert state["review"] == before["review"]
        for table, rows in before.items():
            if cards == before_cards and table != "sync_clock":  # a counter, not a record
                assert state[table] == rows, (table, outcomes)
            else:
                assert set(rows) <= set(state[table]), (table, outcomes)
        # All of the folder's cards, or none of them: its deck holds every copy or does not exist.
        per_deck = _cards_per_deck(killed_run.db)
        assert per_deck.pop(big_notes.name, before_cards * COPIES) == before_cards * COPIES, per_deck
        assert set(per_deck.values()) <= {before_cards}, per_deck
    # The kills did land mid-import, not only before it started or after it ended.
    assert any(not killed_run.finished for killed_run in killed), outcomes


def test_after_a_kill_the_next_import_completes_and_matches_a_clean_run(
    big_notes: Path, bundled_template: Path, tmp_path: Path
) -> None:
    small = tmp_path / "small"
    small.mkdir()
    for index in range(8):
        (small / f"part{index}.md").write_bytes(BUNDLED_DECK.read_bytes())
    clean_seconds, reference = _clean_import(small, bundled_template, tmp_path / "reference")
    killed_run = _kill_import(101, small, bundled_template, tmp_path, clean_seconds)
    again = run_cli(["import", "--json", str(small)], killed_run.db.parent, killed_run.db)
    assert again.returncode == 0, again.stderr
    assert integrity(killed_run.db) == ["ok"]
    assert _without_times(dump(killed_run.db)) == _without_times(dump(reference))


def _clean_import(notes: Path, template: Path, home: Path) -> tuple[float, Path]:
    home.mkdir()
    db = copy_collection(template, home / "collection.db")
    started = time.monotonic()
    clean = run_cli(["import", "--json", str(notes)], home, db, timeout=300)
    assert clean.returncode == 0, clean.stderr
    return time.monotonic() - started, db


def _cards_per_deck(db: Path) -> dict[str, int]:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            "SELECT d.name, count(c.id) FROM deck d LEFT JOIN card c ON c.deck_id = d.id GROUP BY d.name"
        ).fetchall()
    finally:
        connection.close()
    return {name: cards for name, cards in rows}


_STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")


def _without_times(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """Import timestamps (created, updated, imported) differ between two runs; everything else must not."""
    return {
        table: sorted(
            (
                tuple("<time>" if isinstance(value, str) and _STAMP.match(value) else value for value in row)
                for row in content
            ),
            key=repr,
        )
        for table, content in rows.items()
    }


# -- review ---------------------------------------------------------------------------------------------------


@dataclass
class ReviewProcess:
    process: subprocess.Popen[str]
    db: Path

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()


@pytest.fixture
def review_process(bundled_template: Path, tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(db_name: str = "collection.db") -> ReviewProcess:
        home = tmp_path / f"home{len(started)}"
        home.mkdir()
        db = copy_collection(bundled_template, home / db_name)
        process = subprocess.Popen(
            [*cli_command(), "review"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            env=subprocess_env(home, db),
            cwd=home,
        )
        started.append(process)
        return ReviewProcess(process, db)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stdin is not None:
            process.stdin.close()


def _wait_for_reviews(db: Path, wanted: int, process: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while count(db, "review") < wanted:
        assert process.poll() is None, f"review exited with {process.returncode} before {wanted} answers"
        assert time.monotonic() < deadline, f"only {count(db, 'review')} of {wanted} answers were logged"
        time.sleep(0.01)


@pytest.mark.parametrize("seed", REVIEW_SEEDS)
def test_review_killed_between_answers_keeps_every_committed_answer(
    seed: int, review_process: Any, bundled_template: Path
) -> None:
    rng = random.Random(seed)
    before = dump(bundled_template)
    logged = len(before["review"])
    session: ReviewProcess = review_process()
    answers = rng.randint(1, 8)
    for done in range(1, answers + 1):
        session.send(f" \n{rng.choice('012345')}\n")
        _wait_for_reviews(session.db, logged + done, session.process)
    ending = rng.choice(["idle", "revealed", "graded"])
    if ending == "revealed":
        session.send(" \n")
    elif ending == "graded":
        session.send(f" \n{rng.choice('012345')}\n")  # the kill races this answer's commit
    time.sleep(rng.uniform(0, 0.05))
    session.process.send_signal(signal.SIGKILL)
    session.process.wait(timeout=10)

    assert integrity(session.db) == ["ok"]
    reviews = count(session.db, "review")
    allowed = {logged + answers, logged + answers + 1} if ending == "graded" else {logged + answers}
    assert reviews in allowed, (ending, reviews)
    _assert_cards_agree_with_the_log(bundled_template, session.db)
    # The collection opens and works normally after the kill: no stale lock, nothing to repair by hand.
    listing = run_cli(["cards", "--json"], session.db.parent, session.db)
    assert listing.returncode == 0, listing.stderr


def _rows(db: Path, sql: str) -> list[dict[str, Any]]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(sql)]
    finally:
        connection.close()


def _assert_cards_agree_with_the_log(template: Path, db: Path) -> None:
    """Old review rows untouched; the new ones chain from each card's old state to its current state; no other
    card changed. A half-written answer (a log row without its card update, or the reverse) breaks the chain."""
    old_reviews = _rows(template, "SELECT * FROM review ORDER BY id")
    reviews = _rows(db, "SELECT * FROM review ORDER BY id")
    assert reviews[: len(old_reviews)] == old_reviews
    old_cards = {card["id"]: card for card in _rows(template, "SELECT * FROM card")}
    cards = {card["id"]: card for card in _rows(db, "SELECT * FROM card")}
    assert cards.keys() == old_cards.keys()
    state = {card_id: [card[name] for name in SCHEDULE_COLUMNS] for card_id, card in old_cards.items()}
    last_review = {card_id: card["last_review"] for card_id, card in old_cards.items()}
    memory_day = {card_id: card["memory_day"] for card_id, card in old_cards.items()}
    for row in reviews[len(old_reviews) :]:
        assert [row[f"{name}_before"] for name in SCHEDULE_COLUMNS] == state[row["card_id"]], row
        state[row["card_id"]] = [row[f"{name}_after"] for name in SCHEDULE_COLUMNS]
        last_review[row["card_id"]] = row["reviewed_at"]
        memory_day[row["card_id"]] = row["day"]
    for card_id, card in cards.items():
        assert [card[name] for name in SCHEDULE_COLUMNS] == state[card_id], card_id
        assert card["last_review"] == last_review[card_id]
        assert card["memory_day"] == memory_day[card_id]
        untouched = {
            name: value
            for name, value in card.items()
            if name not in (*SCHEDULE_COLUMNS, "last_review", "memory_day")
        }
        original = old_cards[card_id]
        assert untouched == {name: original[name] for name in untouched}, card_id


def test_review_killed_mid_session_then_resumed_continues_from_the_log(review_process: Any) -> None:
    session: ReviewProcess = review_process()
    logged = count(session.db, "review")
    for done in range(1, 4):
        session.send(" \n4\n")
        _wait_for_reviews(session.db, logged + done, session.process)
    session.process.send_signal(signal.SIGKILL)
    session.process.wait(timeout=10)
    resumed = run_cli(["review"], session.db.parent, session.db, input=" \n5\n" * 2 + "q\n")
    assert resumed.returncode == 0, resumed.stderr
    assert count(session.db, "review") == logged + 5
    assert integrity(session.db) == ["ok"]


# -- a full disk, and Ctrl-C --------------------------------------------------------------------------------------


@pytest.fixture
def nearly_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every collection opened in this process can grow by three pages only: SQLite reports a full disk."""
    original = store_module.connect

    def small(path: Path) -> sqlite3.Connection:
        connection = original(path)
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        connection.execute(f"PRAGMA max_page_count = {pages + 3}")
        return connection

    monkeypatch.setattr(store_module, "connect", small)


def test_a_full_disk_mid_import_is_one_clear_line_and_changes_nothing(
    bundled_template: Path, db_path: Path, tmp_path: Path, nearly_full: None
) -> None:
    copy_collection(bundled_template, db_path)
    before = dump(db_path)
    for index in range(3):
        (tmp_path / f"copy{index}.md").write_bytes(BUNDLED_DECK.read_bytes())
    result = run("import", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == (
        "dva-cards: error: could not write to the collection, the change in progress was not saved: "
        "database or disk is full\n"
    )
    assert dump(db_path) == before
    assert integrity(db_path) == ["ok"]


def test_a_write_failure_mid_review_keeps_the_answers_before_it(
    bundled_template: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy_collection(bundled_template, db_path)
    logged = count(db_path, "review")
    original = store_module.Store.record_answer
    calls = {"n": 0}

    def failing(self: store_module.Store, answer: Answer) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return original(self, answer)

    monkeypatch.setattr(store_module.Store, "record_answer", failing)
    result = run("review", input=" \n4\n" * 5)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "dva-cards: error: could not write to the collection, the change in progress was not saved: disk I/O error"
    ]
    assert count(db_path, "review") == logged + 2
    _assert_cards_agree_with_the_log(bundled_template, db_path)


@pytest.mark.parametrize("seed", range(3))
def test_ctrl_c_mid_import_is_one_line_and_all_or_nothing(
    seed: int, big_notes: Path, bundled_template: Path, tmp_path: Path
) -> None:
    rng = random.Random(seed)
    home = tmp_path / "home"
    home.mkdir()
    db = copy_collection(bundled_template, home / "collection.db")
    before_cards = count(db, "card")
    wal = db.with_name(db.name + "-wal")
    process = subprocess.Popen(
        [*cli_command(), "import", str(big_notes)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(home, db),
        cwd=home,
    )
    # Once the collection is open (its WAL exists), the command is running: interrupt it a little later.
    deadline = time.monotonic() + 60
    while not wal.exists() and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(rng.uniform(0, 0.6))  # within the parsing and writing that follow, even on a fast machine
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    cards = count(db, "card")
    assert integrity(db) == ["ok"]
    assert cards in (before_cards, before_cards * (COPIES + 1))
    if process.returncode == 0:  # it had finished already
        assert cards == before_cards * (COPIES + 1)
    else:
        assert process.returncode == 130, stderr
        assert stderr == "dva-cards: error: interrupted; nothing was left half-written\n"


def test_after_a_kill_the_next_command_folds_the_wal_into_the_file(review_process: Any) -> None:
    """What README's "Your data" promises: after a crash the last answers may sit in `collection.db-wal`; any
    dva-cards command puts them into `collection.db`, which alone then holds everything."""
    session: ReviewProcess = review_process()
    logged = count(session.db, "review")
    for done in range(1, 4):
        session.send(" \n4\n")
        _wait_for_reviews(session.db, logged + done, session.process)
    session.process.send_signal(signal.SIGKILL)
    session.process.wait(timeout=10)
    wal = session.db.with_name(session.db.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0
    assert run_cli(["cards", "--limit", "1"], session.db.parent, session.db).returncode == 0
    assert not wal.exists()
    alone = sqlite3.connect(f"{session.db.as_uri()}?immutable=1", uri=True)
    try:
        assert alone.execute("SELECT count(*) FROM review").fetchone()[0] == logged + 3
    finally:
        alone.close()
