"""Extracting the notes files of one import, on every core when there are enough of them to pay.

Markdown parsing is nearly all of an import's time and each file is extracted on its own (`extract_laid_out`
is pure), so files can be extracted in worker processes and their results taken back in file order: the
import gets exactly the drafts a single process would make. Workers are forked (they start at once, with
everything imported), only for several files and enough text to pay for starting them, and each takes every
n-th file and sends its results, in order, through a pipe of its own.

Workers never outlive the import: they end when their files are done, when the importing process stops
reading (an interrupt, an error: it kills them), or when it is gone (killed: their next write fails). With
one core, no `fork`, or a worker that dies, the files are extracted here, one after the other.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Generator, Mapping, Sequence
from contextlib import suppress
from multiprocessing.connection import Connection, Pipe

from .extract import Extraction
from .sections import Layout, SectionResult, extract_laid_out

# A file's drafts, what each of its sections yielded (kept for the file's next import), and where they start.
Parsed = tuple[Extraction, dict[str, SectionResult], Layout]
# A file to extract: its text, and what its sections yielded at its last import, by section hash.
Job = tuple[str, Mapping[str, SectionResult]]

# Below this much text, starting workers costs about what they save (a worker starts in ~10 ms; markdown is
# parsed at about 1 MB/s).
PARALLEL_LEAST_CHARS = 256 * 1024


def usable_cores() -> int:
    """Cores this process may run on (its affinity where the system says, else every core)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(jobs: Sequence[Job], cores: int) -> int:
    """How many worker processes extract `jobs`: 0 (extract them here) unless there are several files, enough
    text and more than one core."""
    if len(jobs) < 2 or cores < 2 or sum(len(text) for text, _ in jobs) < PARALLEL_LEAST_CHARS:
        return 0
    return min(cores, len(jobs))


def extract_files(jobs: Sequence[Job], version: str) -> Generator[Parsed, None, None]:
    """`extract_laid_out` of every job, in the order of `jobs`, each yielded as soon as it and those before it
    are done."""
    workers = worker_count(jobs, usable_cores()) if hasattr(os, "fork") else 0
    done = 0
    if workers:
        started: list[tuple[int, Connection]] = []
        try:
            for first in range(workers):
                started.append(_start(jobs, version, first, workers))
            for index in range(len(jobs)):
                try:
                    parsed: Parsed = started[index % workers][1].recv()
                except (EOFError, OSError):
                    break  # the worker died (killed, out of memory): the files left are extracted here
                yield parsed
                done += 1
        finally:
            _stop(started)
    for text, known in jobs[done:]:
        yield extract_laid_out(text, known, version)


def _start(jobs: Sequence[Job], version: str, first: int, step: int) -> tuple[int, Connection]:
    """Fork a worker that extracts jobs `first`, `first + step`...; returns its pid and the pipe to read."""
    reader, writer = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the worker: it never returns into the import
        status = 1
        try:
            reader.close()
            for text, known in jobs[first::step]:
                writer.send(_extract(text, known, version))
            writer.close()
            status = 0
        finally:
            os._exit(status)  # no cleanup of the importing process's state (its collection, its output)
    writer.close()
    return pid, reader


def _stop(started: Sequence[tuple[int, Connection]]) -> None:
    """End and reap every worker, done or not."""
    for pid, reader in started:
        reader.close()
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _extract(text: str, known: Mapping[str, SectionResult], version: str) -> Parsed:
    return extract_laid_out(text, known, version)
