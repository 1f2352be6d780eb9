"""Extracting the notes files of one import, on every core when there is enough text to pay.

Markdown parsing is nearly all of an import's time, and both what a file yields and what each of its sections
yields are pure (`lay_out`, `parse_section`), so they can be computed in worker processes and taken
back in order: the import gets exactly the drafts a single process would make. Workers are forked (they start
at once, with everything imported), only for enough text to pay for starting them, in one of two ways:

* a large file (`SPLIT_LEAST_CHARS`) is extracted on its own, its sections spread over the cores: the
  sections not known from its last import are cut into chunks of about `CHUNK_CHARS`, whose numbers wait
  in a pipe; this process and its workers each take the next number until none is left, so a core slowed
  by other work simply takes fewer chunks. Each worker sends what it parsed once the pipe is empty; the
  sections are then put together here (`assemble_sections`), so the whole-file cases (link references,
  bold as the plain style...) are decided as in one process, and a file extracted whole is extracted here;
* the other files, between large ones, are spread over the cores file by file: each worker takes every
  n-th file and sends its results, in order, through a pipe of its own, so each file is yielded as soon as
  it and those before it are done.

Workers never outlive the import: they end when their work is done, when the importing process stops reading
(an interrupt, an error: it kills them), or when it is gone (killed: a file worker's next write fails, a
section worker sees it before its next chunk). With one core, no `fork`, or a worker that dies, the work left
is done here, in order.
"""

from __future__ import annotations

import os
import signal
import struct
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING

from .collection import end_ahead_checks
from .sections import LaidOut, Layout, SectionResult, lay_out, parse_section

if TYPE_CHECKING:  # an import that forks no worker (a small or unchanged file) loads no multiprocessing
    from multiprocessing.connection import Connection

# A file to extract: its text, what its sections yielded at its last import (by section hash), and where
# they started then.
Job = tuple[str, Mapping[str, SectionResult], Layout]

# Below this much text, starting workers costs about what they save (a worker starts in ~10 ms; markdown is
# parsed at about 1 MB/s).
PARALLEL_LEAST_CHARS = 256 * 1024
# A file this large is split over the cores by its sections rather than given to one worker whole: the
# files beside it would leave the other cores idle long before it is done.
SPLIT_LEAST_CHARS = PARALLEL_LEAST_CHARS
# About this much text of sections per chunk taken from the pipe (~60 ms of parsing): the last chunks leave
# little for the others to wait for. At most `_MOST_CHUNKS`, so their numbers fit in a pipe in one write.
CHUNK_CHARS = 64 * 1024
_MOST_CHUNKS = 1024
_NUMBER = struct.Struct("<I")


def usable_cores() -> int:
    """Cores this process may run on (its affinity where the system says, else every core)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(jobs: Sequence[Job], cores: int) -> int:
    """How many worker processes extract `jobs` file by file: 0 (extract them here) unless there are several
    files, enough text and more than one core."""
    if len(jobs) < 2 or cores < 2 or sum(len(text) for text, _, _ in jobs) < PARALLEL_LEAST_CHARS:
        return 0
    return min(cores, len(jobs))


def extract_files(jobs: Sequence[Job], version: str) -> Generator[LaidOut, None, None]:
    """`lay_out` of every job, in the order of `jobs`, each yielded as soon as it and those before it
    are done."""
    cores = usable_cores() if hasattr(os, "fork") else 1
    between: list[Job] = []  # files since the last large one, extracted file by file
    for text, known, previous in jobs:
        if cores < 2 or len(text) < SPLIT_LEAST_CHARS:
            between.append((text, known, previous))
            continue
        yield from _file_by_file(between, version, cores)
        between = []
        yield lay_out(text, known, version, partial(parse_sections, cores=cores), previous)
    yield from _file_by_file(between, version, cores)


# -- a large file: its sections over the cores --------------------------------------------------------------


def parse_sections(parts: Sequence[str], cores: int) -> list[SectionResult]:
    """`parse_section` of every part, in order: on `cores` processes (this one among them) when there is
    enough text."""
    chunks = _chunks(parts)
    workers = min(cores, len(chunks)) - 1
    if workers < 1 or sum(len(part) for part in parts) < PARALLEL_LEAST_CHARS or not hasattr(os, "fork"):
        return [parse_section(part) for part in parts]
    done: dict[int, list[SectionResult]] = {}
    started: list[tuple[int, Connection]] = []
    queue, filler = os.pipe()
    try:
        try:
            # Written whole before any worker starts: at most 4 KiB, which fits any pipe's buffer. The writing
            # end is closed at once, so a reader finding the pipe empty knows that no number will come.
            numbers = memoryview(b"".join(_NUMBER.pack(number) for number in range(len(chunks))))
            while numbers:
                numbers = numbers[os.write(filler, numbers) :]
        finally:
            os.close(filler)
        for _ in range(workers):
            try:
                started.append(_start_parser(parts, chunks, queue))
            except OSError:
                break  # no process to be had (a limit reached): fewer hands, the same chunks
        for number in _taken(queue):
            done[number] = _parse_chunk(parts, chunks[number])
        for _, reader in started:
            # A worker that died (killed, out of memory) sends nothing: the chunks it took are parsed below.
            with suppress(EOFError, OSError):
                sent: dict[int, bytes] = reader.recv()
                done.update((number, _unpickle(results)) for number, results in sent.items())
    finally:
        os.close(queue)
        _stop(started)
    for number, chunk in enumerate(chunks):
        if number not in done:
            done[number] = _parse_chunk(parts, chunk)
    return [result for number in range(len(chunks)) for result in done[number]]


def _chunks(parts: Sequence[str]) -> list[range]:
    """Consecutive runs of `parts` holding about `CHUNK_CHARS` of text each (more when there are too many)."""
    size = max(CHUNK_CHARS, sum(len(part) for part in parts) // _MOST_CHUNKS + 1)
    chunks: list[range] = []
    first = held = 0
    for index, part in enumerate(parts):
        held += len(part)
        if held >= size:
            chunks.append(range(first, index + 1))
            first, held = index + 1, 0
    if first < len(parts):
        chunks.append(range(first, len(parts)))
    return chunks


def _taken(queue: int) -> Iterator[int]:
    """Chunk numbers taken from the shared pipe until it is empty. Every read is of one number, and the pipe
    hands each byte to one reader only: each chunk goes to exactly one process."""
    while taken := os.read(queue, _NUMBER.size):
        yield _NUMBER.unpack(taken)[0]


def _start_parser(parts: Sequence[str], chunks: Sequence[range], queue: int) -> tuple[int, Connection]:
    """Fork a worker that parses the chunks it takes from `queue`, then sends them all, by number."""
    parent = os.getpid()

    def work(writer: Connection) -> None:
        # Each chunk's results pickled as soon as parsed, while this process waits for nothing: once the
        # chunks are gone, the importing process waits only for their bytes to be written.
        done: dict[int, bytes] = {}
        for number in _taken(queue):
            if os.getppid() != parent:
                break  # the import is gone: nobody will read these
            done[number] = _pickle(_parse_chunk(parts, chunks[number]))
        writer.send(done)

    return _fork(work)


def _fork(work: Callable[[Connection], None]) -> tuple[int, Connection]:
    """Fork a worker that runs `work` with the writing end of a pipe, then ends; returns its pid and the
    reading end. The worker never returns into the import."""
    from multiprocessing.connection import Pipe

    end_ahead_checks()  # forked from a process with no other thread running
    reader, writer = Pipe(duplex=False)
    try:
        pid = os.fork()
    except OSError:
        reader.close()
        writer.close()
        raise
    if pid == 0:
        status = 1
        try:
            reader.close()
            work(writer)
            writer.close()
            status = 0
        finally:
            os._exit(status)  # no cleanup of the importing process's state (its collection, its output)
    writer.close()
    return pid, reader


def _pickle(results: list[SectionResult]) -> bytes:
    import pickle

    return pickle.dumps(results, pickle.HIGHEST_PROTOCOL)


def _unpickle(results: bytes) -> list[SectionResult]:
    import pickle

    loaded: list[SectionResult] = pickle.loads(results)
    return loaded


def _parse_chunk(parts: Sequence[str], chunk: range) -> list[SectionResult]:
    return [parse_section(parts[index]) for index in chunk]


# -- other files: file by file over the cores ---------------------------------------------------------------


def _file_by_file(jobs: Sequence[Job], version: str, cores: int) -> Generator[LaidOut, None, None]:
    workers = worker_count(jobs, cores)
    done = 0
    if workers:
        started: list[tuple[int, Connection]] = []
        try:
            for first in range(workers):
                started.append(_start(jobs, version, first, workers))
            for index in range(len(jobs)):
                try:
                    parsed: LaidOut = started[index % workers][1].recv()
                except (EOFError, OSError):
                    break  # the worker died (killed, out of memory): the files left are extracted here
                yield parsed
                done += 1
        finally:
            _stop(started)
    for text, known, previous in jobs[done:]:
        yield lay_out(text, known, version, previous=previous)


def _start(jobs: Sequence[Job], version: str, first: int, step: int) -> tuple[int, Connection]:
    """Fork a worker that extracts jobs `first`, `first + step`...; returns its pid and the pipe to read."""

    def work(writer: Connection) -> None:
        for text, known, previous in jobs[first::step]:
            writer.send(_extract(text, known, version, previous))

    return _fork(work)


def _stop(started: Sequence[tuple[int, Connection]]) -> None:
    """End and reap every worker, done or not."""
    for pid, reader in started:
        reader.close()
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _extract(text: str, known: Mapping[str, SectionResult], version: str, previous: Layout) -> LaidOut:
    return lay_out(text, known, version, previous=previous)
