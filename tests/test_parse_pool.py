"""Files extracted in worker processes give exactly what one process gives, in file order, and a worker that
dies costs only time."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dva_cards import parse_pool
from dva_cards.parse_pool import Job, extract_files, worker_count
from dva_cards.sections import extract_laid_out

BUNDLED_DECK = Path(__file__).resolve().parents[1] / "decks" / "aws-dva.md"
VERSION = "test"


def _jobs() -> list[Job]:
    deck = BUNDLED_DECK.read_text(encoding="utf-8")
    # Files of different lengths, so workers finish out of order.
    texts = [
        deck,
        "# Small\n* **Term** - answer\n",
        deck[: len(deck) // 3],
        "",
        deck + "\n# More\n* **X** - y\n",
    ]
    return [(text, {}) for text in texts]


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_pool, "usable_cores", lambda: 2)
    monkeypatch.setattr(parse_pool, "PARALLEL_LEAST_CHARS", 0)


@pytest.mark.usefixtures("two_cores")
def test_workers_give_the_single_process_results_in_file_order() -> None:
    jobs = _jobs()
    expected = [extract_laid_out(text, known, VERSION) for text, known in jobs]
    assert list(extract_files(jobs, VERSION)) == expected


@pytest.mark.usefixtures("two_cores")
def test_known_sections_reach_the_workers() -> None:
    text = BUNDLED_DECK.read_text(encoding="utf-8")
    _, known, _ = extract_laid_out(text, {}, VERSION)
    edited = text.replace("\n# ", "\n# Edited\n* **New** - card\n\n# ", 1)
    jobs: list[Job] = [(edited, known), (text, known)]
    results = list(extract_files(jobs, VERSION))
    assert results == [extract_laid_out(edited, known, VERSION), extract_laid_out(text, known, VERSION)]
    assert results[1][1].keys() == known.keys()
    assert results[1][2] and all(starts for starts in results[1][2].values())


_TEST_PROCESS = os.getpid()


def _dying(text: str, known: object, version: str) -> object:
    """Stands in for a worker's extraction: the worker exits at once, as one killed by the system would."""
    if os.getpid() != _TEST_PROCESS:
        os._exit(9)
    raise AssertionError("only workers run this")


@pytest.mark.usefixtures("two_cores")
def test_a_worker_that_dies_leaves_its_files_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _jobs()
    monkeypatch.setattr(parse_pool, "_extract", _dying)
    assert list(extract_files(jobs, VERSION)) == [extract_laid_out(t, k, VERSION) for t, k in jobs]


def test_workers_only_when_they_pay() -> None:
    big = [("x" * parse_pool.PARALLEL_LEAST_CHARS, {}), ("", {})]
    assert worker_count(big, cores=2) == 2
    assert worker_count(big, cores=8) == 2  # never more workers than files
    assert worker_count(big, cores=1) == 0  # one core: extracted in this process
    assert worker_count(big[:1], cores=2) == 0  # one file
    assert worker_count([("small", {}), ("files", {})], cores=2) == 0  # too little text to pay


@pytest.mark.usefixtures("two_cores")
def test_no_worker_outlives_an_import_that_stops_reading() -> None:
    extracted = extract_files(_jobs(), VERSION)
    next(extracted)
    children = _children()
    assert children  # the workers are running
    extracted.close()  # as when the import is interrupted
    assert not _children() & children


def _children() -> set[int]:
    """Pids of this process's child processes (Linux)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry.name))
    return found
