"""Extracting the notes files of one import, on every core when there are enough of them to pay.

Markdown parsing is nearly all of an import's time and each file is extracted on its own (`extract_laid_out`
is pure), so files can be extracted in worker processes and their results taken back in file order: the
import gets exactly the drafts a single process would make. Worker processes are forked (they start at once,
with everything imported) and only for several files and enough text to pay for starting them; with one
core, no `fork`, or a worker that dies, the files are extracted here, one after the other.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Generator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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
    workers = worker_count(jobs, usable_cores())
    done = 0
    if workers and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                for parsed in pool.map(_extract, jobs, [version] * len(jobs)):
                    yield parsed
                    done += 1
        except BrokenProcessPool:
            pass  # a worker died (killed, out of memory): the files it left are extracted here instead
    for text, known in jobs[done:]:
        yield extract_laid_out(text, known, version)


def _extract(job: Job, version: str) -> Parsed:
    text, known = job
    return extract_laid_out(text, known, version)
