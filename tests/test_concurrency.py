"""Several dva-cards at once on one collection: a review answering, an import, `stats` and `cards` reading, and a
second writer. Nobody sees "database is locked", nobody's write is lost.

Every process is the real command line (or a small script on `Store`), started in parallel; the rounds repeat
the race with different timings.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dva_cards import collection, scheduler
from dva_cards.domain import Answer
from dva_cards.store import Store
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

__all__ = ["bundled_template"]

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ROUNDS = range(3)
COPIES = 8  # files in the concurrent import
REVIEW_ANSWERS = 10
WRITER_ANSWERS = 15


@dataclass
class Finished:
    name: str
    returncode: int
    stderr: str
    stdout: str = ""


@dataclass
class Crowd:
    """Processes started in parallel; every one must end with exit 0 and nothing about locks on stderr."""

    home: Path
    db: Path
    results: list[Finished] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def repeat(self, name: str, args: list[str], times: int, pause: float) -> None:
        def loop() -> None:
            for _ in range(times):
                done = run_cli(args, self.home, self.db, timeout=120)
                with self.lock:
                    self.results.append(Finished(name, done.returncode, done.stderr))
                time.sleep(pause)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        self.threads.append(thread)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=180)
            assert not thread.is_alive()

    def assert_all_clean(self) -> None:
        for result in self.results:
            assert result.returncode == 0, (result.name, result.stderr)
            for word in ("locked", "busy", "Traceback"):
                assert word not in result.stderr, (result.name, result.stderr)


def _notes(base: Path, round_: int) -> Path:
    """COPIES files, each its own deck; every round edits them, so the import has real writing to do."""
    folder = base / "notes"
    folder.mkdir()
    text = BUNDLED_DECK.read_text(encoding="utf-8")
    for index in range(COPIES):
        extra = f"\n# Round {round_}\n* **Extra {round_}-{index}** - written while others work\n"
        (folder / f"copy{index}.md").write_text(text + extra, encoding="utf-8")
    return folder


def _start(args: list[str], home: Path, db: Path, **options: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(home, db),
        cwd=home,
        **options,
    )


def _finish(name: str, process: subprocess.Popen[str], timeout: float = 180) -> Finished:
    stdout, stderr = process.communicate(timeout=timeout)
    return Finished(name, process.returncode, stderr, stdout)


def _today_reviews(db: Path) -> int:
    """Review rows of the session (logged for today or yesterday; the other writer logs a fixed past day)."""
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    return count(db, "review", f"WHERE day >= '{yesterday}'")


@pytest.mark.parametrize("round_", ROUNDS)
def test_review_import_stats_and_a_writer_at_once_lose_nothing(
    round_: int, bundled_template: Path, tmp_path: Path
) -> None:
    rng = random.Random(round_)
    home = tmp_path / "home"
    home.mkdir()
    db = copy_collection(bundled_template, home / "collection.db")
    before_reviews = count(db, "review")
    before_cards = count(db, "card")
    notes = _notes(tmp_path, round_)
    crowd = Crowd(home, db)

    review = _start([*cli_command(), "review"], home, db, stdin=subprocess.PIPE)
    time.sleep(rng.uniform(0, 0.3))
    importer = _start([*cli_command(), "import", "--json", str(notes)], home, db)
    writer = _start(
        [sys.executable, str(FIXTURES / "answer_writer.py"), str(db), str(WRITER_ANSWERS)], home, db
    )
    crowd.repeat("stats", ["stats"], times=2, pause=rng.uniform(0, 0.3))
    crowd.repeat("stats --json", ["stats", "--json"], times=2, pause=rng.uniform(0, 0.3))
    crowd.repeat("cards", ["cards", "--json"], times=3, pause=rng.uniform(0, 0.2))

    assert review.stdin is not None
    for answered in range(1, REVIEW_ANSWERS + 1):
        review.stdin.write(f" \n{rng.choice('345')}\n")
        review.stdin.flush()
        deadline = time.monotonic() + 60
        while _today_reviews(db) < answered:
            assert review.poll() is None, _finish("review", review).stderr
            assert time.monotonic() < deadline, f"answer {answered} was never logged"
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 0.15))
    review.stdin.write("q\n")
    review.stdin.flush()
    crowd.results += [_finish("review", review), _finish("import", importer), _finish("writer", writer)]
    crowd.join()

    crowd.assert_all_clean()
    assert integrity(db) == ["ok"]
    assert count(db, "review") == before_reviews + REVIEW_ANSWERS + WRITER_ANSWERS
    assert _today_reviews(db) == REVIEW_ANSWERS
    deck_cards = before_cards + 1  # each copy: the bundled deck plus one extra definition
    assert count(db, "card") == before_cards + COPIES * deck_cards
    [writer_result] = [result for result in crowd.results if result.name == "writer"]
    assert writer_result.stdout.strip() == str(WRITER_ANSWERS)


@pytest.fixture
def impatient_writer(
    tmp_path: Path, bundled_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """Answers in this process with a busy timeout of 1 s instead of 10 s: a long write lock shows at once."""
    home = tmp_path / "home"
    home.mkdir()
    db = copy_collection(bundled_template, home / "collection.db")
    monkeypatch.setattr(collection, "BUSY_TIMEOUT_MS", 1000)
    with Store.open(db) as store:
        yield home, db, store


def test_an_answer_never_waits_for_an_import_to_read_and_parse_its_files(
    impatient_writer: Any, tmp_path: Path
) -> None:
    """The import's write lock covers its writes only: parsing 20 files takes seconds, writing them does not."""
    home, db, store = impatient_writer
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(20):
        (folder / f"part{index:02}.md").write_bytes(BUNDLED_DECK.read_bytes())
    ids = [row[0] for row in store.connection.execute("SELECT id FROM card ORDER BY line DESC LIMIT 200")]
    before = count(db, "review")
    importer = _start([*cli_command(), "import", str(folder)], home, db)
    answered = 0
    day = date(2026, 2, 1)
    while importer.poll() is None and answered < len(ids):
        card = store.review_card(ids[answered])
        assert card is not None
        after = scheduler.review(card.schedule.state, 4, day)
        at = datetime(2026, 2, 1, 12, tzinfo=UTC)
        store.record_answer(Answer(card.id, 4, "review", card.schedule, after, False, False, at, day))
        answered += 1
        time.sleep(0.02)
    result = _finish("import", importer)
    assert result.returncode == 0, result.stderr
    assert answered >= 5  # the answers really ran alongside the import
    assert count(db, "review") == before + answered


def test_many_first_runs_at_once_create_one_collection(tmp_path: Path) -> None:
    """A fresh install where several commands start at the same moment: one creates the collection, the others
    wait for it and use it; none reports a half-made database."""
    for attempt in range(3):
        home = tmp_path / f"fresh{attempt}"
        home.mkdir()
        db = home / "data" / "collection.db"
        notes = home / "n.md"
        notes.write_text("* **Alpha** - first\n* **Beta** - second\n", encoding="utf-8")
        commands = [
            ["cards", "--json"],
            ["import", str(notes)],
            ["stats", "--json"],
            ["config", "set", "new-per-day", "30"],
            ["cards"],
        ]
        processes = [(" ".join(args), _start([*cli_command(), *args], home, db)) for args in commands]
        results = [_finish(name, process) for name, process in processes]
        for result in results:
            assert result.returncode == 0, (result.name, result.stderr)
        assert integrity(db) == ["ok"]
        assert count(db, "card") == 2
        assert sorted(
            path.name for path in db.parent.iterdir() if not path.name.endswith(("-wal", "-shm"))
        ) == ["collection.db"]
