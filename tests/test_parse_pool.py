"""Files, and the sections of a large file, extracted in worker processes give exactly what one process
gives, in order, and a worker that dies costs only time."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards import parse_pool
from dva_cards.parse_pool import Job, extract_files, parse_sections, worker_count
from dva_cards.sections import SectionResult, lay_out, parse_section

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
    return [(text, {}, {}) for text in texts]


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_pool, "usable_cores", lambda: 2)
    monkeypatch.setattr(parse_pool, "PARALLEL_LEAST_CHARS", 0)
    monkeypatch.setattr(parse_pool, "SPLIT_LEAST_CHARS", 10**9)  # file by file, whatever their size


@pytest.fixture
def split_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two cores, and every file split over them by its sections, a few sections per chunk."""
    monkeypatch.setattr(parse_pool, "usable_cores", lambda: 2)
    monkeypatch.setattr(parse_pool, "PARALLEL_LEAST_CHARS", 0)
    monkeypatch.setattr(parse_pool, "SPLIT_LEAST_CHARS", 0)
    monkeypatch.setattr(parse_pool, "CHUNK_CHARS", 1000)


@pytest.mark.usefixtures("two_cores")
def test_workers_give_the_single_process_results_in_file_order() -> None:
    jobs = _jobs()
    expected = [lay_out(text, known, VERSION) for text, known, _ in jobs]
    assert list(extract_files(jobs, VERSION)) == expected


@pytest.mark.usefixtures("two_cores")
def test_known_sections_reach_the_workers() -> None:
    text = BUNDLED_DECK.read_text(encoding="utf-8")
    first = lay_out(text, {}, VERSION)
    known, layout = first.sections, first.layout
    edited = text.replace("\n# ", "\n# Edited\n* **New** - card\n\n# ", 1)
    jobs: list[Job] = [(edited, known, layout), (text, known, layout)]
    results = list(extract_files(jobs, VERSION))
    assert results == [lay_out(edited, known, VERSION), lay_out(text, known, VERSION)]
    assert results[1].sections.keys() == known.keys()
    assert results[1].layout and all(starts for starts in results[1].layout.values())


_TEST_PROCESS = os.getpid()


def _dying(text: str, known: object, version: str, previous: object) -> object:
    """Stands in for a worker's extraction: the worker exits at once, as one killed by the system would."""
    if os.getpid() != _TEST_PROCESS:
        os._exit(9)
    raise AssertionError("only workers run this")


@pytest.mark.usefixtures("two_cores")
def test_a_worker_that_dies_leaves_its_files_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = _jobs()
    monkeypatch.setattr(parse_pool, "_extract", _dying)
    assert list(extract_files(jobs, VERSION)) == [lay_out(t, k, VERSION) for t, k, _ in jobs]


def test_workers_only_when_they_pay() -> None:
    big: list[Job] = [("x" * parse_pool.PARALLEL_LEAST_CHARS, {}, {}), ("", {}, {})]
    assert worker_count(big, cores=2) == 2
    assert worker_count(big, cores=8) == 2  # never more workers than files
    assert worker_count(big, cores=1) == 0  # one core: extracted in this process
    assert worker_count(big[:1], cores=2) == 0  # one file
    assert worker_count([("small", {}, {}), ("files", {}, {})], cores=2) == 0  # too little text to pay


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


# -- a large file's sections over the cores ------------------------------------------------------------------

DECK = BUNDLED_DECK.read_text(encoding="utf-8")
THREE_DECKS = "".join(DECK.replace("\n# ", f"\n# {number} ") + "\n" for number in range(3))
# Files whose sections do not simply add up: an HTML comment that runs across headings (from its section on,
# the rest of the file is one part), link references (extracted whole after the sections were parsed), a writer's marker (extracted
# whole from the start), bold as the plain style of one piece (whole after parsing).
OPEN_END = DECK.replace("\n# ", "\n<!--\n# ", 3).replace("<!--\n# ", "# ", 2)
REFERENCES = DECK + "\n# Links\n* **[x]** - see\n\n[x]: https://example.com\n"
MARKER = DECK.replace("\n# ", "\n<!-- dva-cards: off -->\n\n# ", 1).replace(
    "\n# ", "\n<!-- dva-cards: on -->\n# ", 4
)
BOLD_PIECE = "# A\n" + "Some prose line.\n" * 4100 + "\n# B\n" + "* **Term** - answer\n" * 30
SPLIT_CASES = [THREE_DECKS, OPEN_END, REFERENCES, MARKER, BOLD_PIECE, "", "# Only\n* **A** - b\n"]


@pytest.mark.usefixtures("split_files")
@pytest.mark.parametrize(
    "text", SPLIT_CASES, ids=["decks", "open", "references", "marker", "bold", "", "one"]
)
def test_a_file_split_over_workers_gives_the_single_process_result(text: str) -> None:
    expected = lay_out(text, {}, VERSION)
    assert list(extract_files([(text, {}, {})], VERSION)) == [expected]
    # and re-extracted with its sections known, one of them edited
    known = expected.sections
    edited = text.replace("a cluster of data centers", "a cluster of data centres", 1)
    assert list(extract_files([(edited, known, expected.layout)], VERSION)) == [
        lay_out(edited, known, VERSION)
    ]


def _spread(parts: object, chunk: range) -> list[SectionResult]:
    """Parses a chunk as the pool does, and leaves in the temporary directory the pid of the process that did.
    This process waits for a worker's first chunk, so it cannot take every chunk before a worker starts."""
    assert isinstance(parts, list)
    found = Path(os.environ["PARSE_POOL_PIDS"])
    Path(found, str(os.getpid())).touch()
    for _ in range(3000):
        if os.getpid() != _TEST_PROCESS or len(list(found.iterdir())) > 1:
            break
        time.sleep(0.01)
    return [parse_section(parts[index]) for index in chunk]


@pytest.mark.usefixtures("split_files")
def test_a_large_file_is_parsed_on_several_processes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PARSE_POOL_PIDS", str(tmp_path))
    monkeypatch.setattr(parse_pool, "_parse_chunk", _spread)
    parts = [
        f"# Part {number}\n* **Term {number}** - answer\n" + "Some prose.\n" * 200 for number in range(60)
    ]
    assert parse_sections(parts, cores=2) == [parse_section(part) for part in parts]
    assert len(list(tmp_path.iterdir())) == 2  # this process and one worker each took chunks


@pytest.mark.usefixtures("split_files")
def test_a_section_worker_that_dies_leaves_its_chunks_to_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = parse_pool._parse_chunk

    def dying(parts: object, chunk: range) -> list[SectionResult]:
        if os.getpid() != _TEST_PROCESS:
            os._exit(9)
        assert isinstance(parts, list)
        return real(parts, chunk)

    monkeypatch.setattr(parse_pool, "_parse_chunk", dying)
    assert list(extract_files([(THREE_DECKS, {}, {})], VERSION)) == [lay_out(THREE_DECKS, {}, VERSION)]


@pytest.mark.usefixtures("split_files")
def test_sections_are_parsed_here_when_no_worker_can_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process() -> int:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_process)
    assert list(extract_files([(THREE_DECKS, {}, {})], VERSION)) == [lay_out(THREE_DECKS, {}, VERSION)]


@pytest.mark.usefixtures("split_files")
def test_no_section_worker_outlives_an_interrupted_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    real = parse_pool._parse_chunk
    seen: list[set[int]] = []

    def interrupted(parts: object, chunk: range) -> list[SectionResult]:
        if os.getpid() == _TEST_PROCESS:
            seen.append(_children())
            raise KeyboardInterrupt
        assert isinstance(parts, list)
        return real(parts, chunk)

    monkeypatch.setattr(parse_pool, "_parse_chunk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        list(extract_files([(THREE_DECKS, {}, {})], VERSION))
    assert seen and seen[0]  # a worker was running when this process stopped
    assert not _children() & seen[0]


def test_files_beside_a_large_one_go_file_by_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_pool, "usable_cores", lambda: 2)
    monkeypatch.setattr(parse_pool, "PARALLEL_LEAST_CHARS", 0)
    monkeypatch.setattr(parse_pool, "SPLIT_LEAST_CHARS", len(DECK) + 1)
    split: list[int] = []
    real = parse_pool.parse_sections

    def spy(parts: list[str], cores: int) -> list[SectionResult]:
        split.append(sum(len(part) for part in parts))
        return real(parts, cores)

    monkeypatch.setattr(parse_pool, "parse_sections", spy)
    texts = ["# Small\n* **Term** - answer\n", THREE_DECKS, DECK, "", DECK[:5000], THREE_DECKS]
    jobs: list[Job] = [(text, {}, {}) for text in texts]
    assert list(extract_files(jobs, VERSION)) == [lay_out(text, {}, VERSION) for text in texts]
    assert len(split) == 2  # the two large files, each over the cores by its sections


def test_chunks_cover_every_part_in_order() -> None:
    parts = ["x" * length for length in (10, 70_000, 5, 5, 64 * 1024, 1, 200_000, 3)]
    chunks = parse_pool._chunks(parts)
    assert [index for chunk in chunks for index in chunk] == list(range(len(parts)))
    assert all(sum(len(parts[i]) for i in chunk) >= parse_pool.CHUNK_CHARS for chunk in chunks[:-1])
    many = ["y" * 100] * 100_000  # more text than _MOST_CHUNKS chunks of CHUNK_CHARS
    assert len(parse_pool._chunks(many)) <= parse_pool._MOST_CHUNKS
    assert parse_pool._chunks([]) == []


MARKDOWNISH = st.lists(
    st.sampled_from(
        ["* **Term** - answer\n", "\n\n# EC2\n", "\n# S3\n", "```\n", "~~~\n", "<div>\n", "[x]: /u\n", "[x]",
         "* **Bold** words\n" * 11, "> ", "  * *Sub* - nested\n", "Some prose.\n", "\n", "---\n", "Title\n===\n",
         "| Term | Definition |\n|---|---|\n| a | b |\n", "<!-- dva-cards: card -->\n", "    indented\n"]
    ),
    max_size=60,
).map("".join)  # fmt: skip


@pytest.mark.usefixtures("split_files")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=MARKDOWNISH)
def test_any_file_split_over_workers_is_the_single_process_result(text: str) -> None:
    assert list(extract_files([(text, {}, {})], VERSION)) == [lay_out(text, {}, VERSION)]


def test_a_section_worker_stops_when_the_import_is_gone(tmp_path: Path) -> None:
    parsed, gate = tmp_path / "parsed", tmp_path / "go"
    parsed.mkdir()
    parts = [f"# Part {number}\n* **Term** - answer\n" for number in range(50)]
    importer = os.fork()
    if importer == 0:  # the import: it takes a chunk and never finishes it, then is killed
        try:
            stuck = os.getpid()

            def parse_chunk(parts: object, chunk: range) -> list[SectionResult]:
                if os.getpid() == stuck:
                    while True:
                        time.sleep(1)
                Path(parsed, f"{os.getpid()}-{chunk.start}").touch()  # a worker: one chunk, then wait
                while not gate.exists():
                    time.sleep(0.01)
                return []

            parse_pool._parse_chunk = parse_chunk
            parse_pool.PARALLEL_LEAST_CHARS = 0
            parse_pool.CHUNK_CHARS = 1
            parse_sections(parts, cores=2)
        finally:
            os._exit(0)
    try:
        while not any(parsed.iterdir()):
            time.sleep(0.01)
        worker = int(next(parsed.iterdir()).name.split("-")[0])
    finally:
        os.kill(importer, signal.SIGKILL)
        os.waitpid(importer, 0)
    gate.touch()  # the worker finishes its chunk with nobody left to read it
    while _running(worker):
        time.sleep(0.01)
    assert len(list(parsed.iterdir())) == 1  # it took no other chunk


def _running(pid: int) -> bool:
    """Whether process `pid` is alive (not gone, not a zombie left unreaped) (Linux)."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
