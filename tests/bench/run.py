"""Benchmarks: what `dva-cards` costs against a floor measured in the same run, as one table of medians.

    python -m tests.bench.run                # full size; prints pass/MISS for every target (exit 0 either way)
    python -m tests.bench.run --size tiny    # CI smoke run: small inputs, same table, targets not judged

Inputs are built here and cached in the temp dir (`--work` elsewhere, `--fresh` rebuilds them):

* the bundled deck (decks/aws-dva.md) 100 times in one file, and the same 100 copies as 100 files in a
  directory (10.7 MB each way), each copy's top-level headings numbered so that no two sections are equal;
* a collection of 50,000 cards with 500,000 reviews (stats), one of 100,000 cards and 100,000 reviews
  (review latency), and for the Anki comparison one of 200,000 cards with 2,000,000 reviews, all from
  tests/bench/generate.py (and their Anki twins, from tests/bench/anki_mirror.py).

Figures and their floors (ratio = value / floor; the target is the highest acceptable ratio):

* import: `dva-cards import` as a subprocess into an empty collection, the one file and the directory, against
  bare `MarkdownIt("commonmark").enable("table").parse` of the same text (each file's text for the
  directory) timed inside a subprocess: at least 0.7x its throughput, i.e. a ratio of at most 1/0.7;
* re-import of the unchanged input: at most 0.1x the first import; of the one file with one definition
  edited (the same edit as the Anki comparison's): at most 0.15x;
* import of the directory with 10 % of its definition bullets moved to other headings of their file (each file
  its own draw), over a collection holding the unmoved notes: the same target as the first import, against
  markdown-it's parse of the moved text (the note column says how many moves kept their cards);
* peak RSS of the import process: at most 4x the input size + 150 MB (the floor column shows that budget);
* `--help` and `--version`: at most 1.3x the `--help` of a bare Typer app with three commands;
* first run (`cards --limit 1 --json` creating a new collection): at most 2x that same floor;
* next card in a review session at 100,000 cards, in process: `Store.queue_candidates` + `build_queue` once,
  then per card `review_card` + `grading.grade` + `record_answer` + `after_answer`; median per card
  at most 10 ms (an absolute target: there is no floor);
* `dva-cards stats` (and `--json`) on 50,000 cards / 500,000 reviews: at most 2x the bare Typer app running a
  command given the same kinds of options (a path, a name, a number, a flag), which Typer converts alike;
* shell completion on the same collection (card ids after `suspend`, sections after `--section`, decks after
  `--deck`), as a shell asks for it (`_DVA_CARDS_COMPLETE=complete_bash`, COMP_WORDS, COMP_CWORD): at most
  1.5x the bare Typer app completing its own command names, which costs what any Typer completion costs
  (the interpreter, Typer, the completion machinery) and reads nothing;
* switching scheduler on that collection (`config set scheduler fsrs`, then `sm2`), each replaying the log of
  500,000 reviews: at most 2 s as a whole command (an absolute target; the bare Typer app is shown as floor).
* `dva-cards exam show` (and `--json`, and `stats`, which then adds the readiness section) on a copy of that
  collection with an exam set 60 days ahead: at most 2x the floor of the stats figures; beside them, for
  reference, the start of a `review` session (stdin at its end) with that exam set and without it.

* `anki` (tests/bench/anki_side.py): dva-cards against Anki itself on the same cards, the floor being Anki's
  figure: import, re-import, an edited re-import, first card at 100,000 cards, per answer, stats and
  stats --deck at 50,000 and 200,000 cards.

Rows marked (reference) have no target: they show where time goes. Every subprocess runs as an installed
command does: with bytecode caches (kept under the work dir, so the checkout stays clean), COLUMNS=80,
NO_COLOR=1, under a small launcher that times it and reads its peak RSS from wait4 (not measured from
this process: a forked child's peak RSS counts the parent image it started as). Runs of a group are
interleaved (floor, figure, floor, figure...) so a busy machine slows both alike; each value is the median
of the runs. Exit status 0 whatever the ratios; a command that fails stops the benchmark with status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from .generate import make_collection

EXAM_IN_DAYS = 60  # the exam figures' exam date, from the learner's today
GENERATOR_VERSION = 4  # bump when generate.py changes what it writes: cached collections are then rebuilt
MB = 1_000_000


@dataclass(frozen=True)
class Size:
    copies: int  # copies of the bundled deck: one file holding them all, and a directory of one file each
    stats: tuple[int, int]  # cards, reviews of the stats collection
    review: tuple[int, int]  # cards, reviews of the review-latency collection
    answers: int  # cards answered per review round
    runs: int  # runs of each quick figure
    import_runs: int  # runs of each import figure (each takes seconds at full size)


SIZES = {
    "full": Size(
        copies=100, stats=(50_000, 500_000), review=(100_000, 100_000), answers=200, runs=7, import_runs=3
    ),
    "tiny": Size(copies=3, stats=(300, 3_000), review=(1_000, 1_000), answers=30, runs=2, import_runs=1),
}

FLOOR_APP = '''
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer()


@app.callback()
def main(db: Optional[Path] = typer.Option(None, "--db", dir_okay=False)) -> None:
    """A bare app with the same kinds of options as dva-cards: a path, names, numbers and flags."""


@app.command()
def one(name: Optional[str] = None, count: int = 1, flag: bool = False) -> None:
    """First command."""


@app.command()
def two(count: int = 1) -> None:
    """Second command."""


@app.command()
def three(flag: bool = False) -> None:
    """Third command."""


if __name__ == "__main__":
    app()
'''

# Runs one command with its output in files; prints its wall time, exit status and peak RSS (bytes) as JSON.
LAUNCHER = """
import json, os, subprocess, sys, time
with open(sys.argv[1], "wb") as out, open(sys.argv[2], "wb") as err:
    start = time.perf_counter()
    process = subprocess.Popen(sys.argv[3:], stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(process.pid, 0)
        wall, status = time.perf_counter() - start, os.waitstatus_to_exitcode(status)
        max_rss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # Linux: kilobytes
        cpu = usage.ru_utime + usage.ru_stime
    else:  # Windows: no rusage of a child
        status, wall, max_rss, cpu = process.wait(), time.perf_counter() - start, None, None
print(json.dumps({"wall": wall, "status": status, "max_rss": max_rss, "cpu": cpu}))
"""

# Bare markdown-it over the texts of the given files, one parser, timed around the parsing alone.
FLOOR_PARSE = """
import sys, time
from markdown_it import MarkdownIt
texts = [open(path, encoding="utf-8").read() for path in sys.argv[1:]]
md = MarkdownIt("commonmark").enable("table")
start = time.perf_counter()
for text in texts:
    md.parse(text)
print(time.perf_counter() - start)
"""

GRADES = (4, 5, 3, 4, 1, 5, 4, 4, 2, 5, 4, 3)

# Command lines completed at their last word, as a shell asks: card ids (the first 100 of 50,000), every
# section of every context, the deck names.
COMPLETIONS = (
    "dva-cards suspend ",
    "dva-cards review --cram --section ",
    "dva-cards stats --deck ",
)  # answers of the review rounds: passes, a drill, lapses


@dataclass
class Row:
    name: str
    value: float
    floor: float | None
    unit: str  # "s", "ms" or "MB"
    limit: float | None = None  # highest acceptable ratio, or value when `absolute`; None: reference only
    absolute: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        return None if not self.floor else self.value / self.floor

    @property
    def passed(self) -> bool | None:
        if self.limit is None:
            return None
        measured = self.value if self.absolute else self.ratio
        return measured is not None and measured <= self.limit


@dataclass
class Child:
    """One finished subprocess: wall time, peak RSS (bytes, None where the OS does not say) and stdout."""

    wall: float
    max_rss: int | None
    stdout: str
    cpu: float | None = None  # user + system seconds of the child (None where the OS does not say)


@dataclass
class Samples:
    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--runs", type=int, help="runs of each quick figure (default: by size)")
    parser.add_argument("--import-runs", type=int, help="runs of each import figure (default: by size)")
    parser.add_argument("--only", choices=("startup", "stats", "completion", "import", "moved", "review", "switch", "exam", "anki"),
                        action="append", help="run only these groups (repeatable)")  # fmt: skip
    parser.add_argument("--work", type=Path, help="cache and scratch dir (default: <tmp>/dva-cards-bench)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached inputs and collections")
    args = parser.parse_args(argv)

    size = SIZES[args.size]
    runs = max(1, args.runs or size.runs)
    import_runs = max(1, args.import_runs or size.import_runs)
    groups = set(
        args.only or ("startup", "stats", "completion", "import", "moved", "review", "switch", "exam", "anki")
    )
    work = (args.work or Path(tempfile.gettempdir()) / "dva-cards-bench").resolve()
    scratch = work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    bench = Bench(work, scratch, args.size)
    started = time.perf_counter()
    rows: list[Row] = []
    try:
        if groups & {"startup", "stats", "completion"}:
            rows += bench.quick(size, runs, groups, fresh=args.fresh)
        if "import" in groups:
            rows += bench.imports(size, import_runs, fresh=args.fresh)
        if "moved" in groups:
            rows += bench.moved_import(size, import_runs, fresh=args.fresh)
        if "review" in groups:
            rows += bench.review(size, max(1, runs // 2), fresh=args.fresh)
        if "switch" in groups:
            rows += bench.switch(size, max(1, runs // 2), fresh=args.fresh)
        if "exam" in groups:
            rows += bench.exam(size, runs, fresh=args.fresh)
        if "anki" in groups:
            from .anki_side import side_by_side

            rows += side_by_side(
                bench, args.size, runs=args.runs, import_runs=args.import_runs, fresh=args.fresh
            )
    except CommandFailed as failure:
        print(f"benchmark stopped: {failure}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    _print_table(rows, args.size, runs, import_runs, time.perf_counter() - started)
    return 0


class CommandFailed(Exception):
    pass


class Bench:
    def __init__(self, work: Path, scratch: Path, size_name: str) -> None:
        self.work = work
        self.scratch = scratch
        self.size_name = size_name
        self.today = _learner_today()
        self.floor_app = work / "floor_app.py"
        self.floor_app.write_text(FLOOR_APP, encoding="utf-8")
        self.floor_parse = work / "floor_parse.py"
        self.floor_parse.write_text(FLOOR_PARSE, encoding="utf-8")
        self.launcher = work / "launcher.py"
        self.launcher.write_text(LAUNCHER, encoding="utf-8")
        self.command = _dva_cards_command()
        env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        for name in ("DVA_CARDS_DB", "PYTHONDONTWRITEBYTECODE"):
            env.pop(name, None)
        self.env = env

    # -- startup and stats: quick subprocesses against the bare Typer app ----------------------------------

    def quick(self, size: Size, runs: int, groups: set[str], *, fresh: bool) -> list[Row]:
        floor = [sys.executable, str(self.floor_app), "--help"]
        commands: dict[str, list[str]] = {"floor": floor}
        if "stats" in groups:
            # Typer converts every option value given (Pydantic): the floor of a command with options pays it too.
            commands["floor with options"] = [
                sys.executable, str(self.floor_app), "--db", str(self.scratch / "none.db"), "one", "--name", "x",
                "--count", "30", "--flag",
            ]  # fmt: skip
        if "startup" in groups:
            commands["--help"] = [*self.command, "--help"]
            commands["--version"] = [*self.command, "--version"]
        envs: dict[str, dict[str, str]] = {}  # a command's extra environment
        if "completion" in groups:
            commands["floor completion"] = [sys.executable, str(self.floor_app)]
            # Typer names the variable after the program: floor_app.py -> _FLOOR_APP.PY_COMPLETE.
            envs["floor completion"] = _completion_env("_FLOOR_APP.PY_COMPLETE", "floor_app.py ")
            cards, reviews = size.stats
            db = self._collection("stats", cards, reviews, fresh=fresh)
            for line in COMPLETIONS:
                commands[f"complete {line}"] = self.command
                envs[f"complete {line}"] = {
                    **_completion_env("_DVA_CARDS_COMPLETE", line),
                    "DVA_CARDS_DB": str(db),
                }
        if "stats" in groups:
            cards, reviews = size.stats
            db = self._collection("stats", cards, reviews, fresh=fresh)
            for args in (["cards", "--limit", "1", "--json"], ["stats"], ["stats", "--json"],
                         ["stats", "--deck", "aws-dva"]):  # fmt: skip
                commands[" ".join(args)] = [*self.command, "--db", str(db), *args]
        new_db = self.scratch / "new.db"
        if "startup" in groups:
            commands["create"] = [*self.command, "--db", str(new_db), "cards", "--limit", "1", "--json"]
        for name, command in commands.items():
            # warm-up: bytecode and page caches, as on any machine after the first run
            self._run(command, envs.get(name))
        samples = Samples()
        for _ in range(runs):
            for name, command in commands.items():
                if name == "create":
                    _remove_db(new_db)
                child = self._run(command, envs.get(name))
                if name.startswith("complete ") and not child.stdout.strip():
                    raise CommandFailed(f"{name!r} offered no candidates")
                samples.add(name, child.wall)
        base = samples.median("floor")
        rows = []
        if "startup" in groups:
            rows += [
                Row("dva-cards --help", samples.median("--help"), base, "s", 1.3),
                Row("dva-cards --version", samples.median("--version"), base, "s", 1.3),
                Row("first run: create a new collection", samples.median("create"), base, "s", 2.0),
            ]
        if "stats" in groups:
            cards, reviews = size.stats
            scale = f"{cards:,} cards, {reviews:,} reviews"
            base = samples.median("floor with options")
            rows += [
                Row(
                    f"(reference) cards --limit 1 --json ({scale})",
                    samples.median("cards --limit 1 --json"),
                    base,
                    "s",
                ),  # fmt: skip
                Row("dva-cards stats", samples.median("stats"), base, "s", 2.0),
                Row("dva-cards stats --json", samples.median("stats --json"), base, "s", 2.0),
                Row(
                    "(reference) dva-cards stats --deck aws-dva",
                    samples.median("stats --deck aws-dva"),
                    base,
                    "s",
                ),
            ]
        if "completion" in groups:
            cards, _ = size.stats
            base = samples.median("floor completion")
            rows += [
                Row(
                    f"complete: {line.removeprefix('dva-cards ')}<Tab> ({cards:,} cards)",
                    samples.median(f"complete {line}"),
                    base,
                    "s",
                    1.5,
                )
                for line in COMPLETIONS
            ]
        return rows

    # -- import: subprocesses against bare markdown-it, peak memory against its budget --------------------

    def imports(self, size: Size, runs: int, *, fresh: bool) -> list[Row]:
        single, directory = self._inputs(size.copies, fresh=fresh)
        files = sorted(directory.glob("*.md"))
        input_bytes = single.stat().st_size
        empty = self.scratch / "empty.db"
        self._run([*self.command, "--db", str(empty), "cards", "--limit", "1", "--json"])  # created once
        warm = self.scratch / "warm.db"
        shutil.copyfile(empty, warm)
        self._run([*self.command, "--db", str(warm), "import", str(files[0])])  # warm-up
        # The one file is imported from a copy, so the copy can be edited between imports.
        from .anki_side import edit_one_definition

        text = single.read_text(encoding="utf-8")
        copy = self.scratch / "one-file" / single.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        edited = edit_one_definition(text)
        samples = Samples()
        rss: dict[str, list[int]] = {}
        for _ in range(runs):
            copy.write_text(text, encoding="utf-8")
            for label, paths in (("file", [copy]), ("dir", [directory])):
                parse_files = [single] if label == "file" else files
                parsed = self._run([sys.executable, str(self.floor_parse), *map(str, parse_files)])
                samples.add(f"parse {label}", float(parsed.stdout.strip()))
                db = self.scratch / f"import-{label}.db"
                _remove_db(db)
                shutil.copyfile(empty, db)
                first = self._run([*self.command, "--db", str(db), "import", *map(str, paths)])
                samples.add(f"import {label}", first.wall)
                if first.max_rss is not None:
                    rss.setdefault(label, []).append(first.max_rss)
                samples.add(f"reimport {label}", self._run([*self.command, "--db", str(db), "import",
                                                            *map(str, paths)]).wall)  # fmt: skip
                if label == "file":
                    copy.write_text(edited, encoding="utf-8")
                    samples.add("edited file", self._run([*self.command, "--db", str(db), "import",
                                                          str(copy)]).wall)  # fmt: skip
                _remove_db(db)
        megabytes = input_bytes / MB
        budget = 4 * megabytes + 150
        rows = []
        for label, title in (("file", f"one file ({megabytes:.1f} MB)"), ("dir", f"{len(files)} files")):
            first = samples.median(f"import {label}")
            rows += [
                Row(
                    f"import {size.copies}x deck, {title}",
                    first,
                    samples.median(f"parse {label}"),
                    "s",
                    1 / 0.7,
                    note=f"{megabytes / first:.2f} MB/s",
                ),  # fmt: skip
                Row(f"re-import unchanged, {title}", samples.median(f"reimport {label}"), first, "s", 0.1),
            ]
            if label == "file":
                rows.append(Row(f"re-import, one definition edited, {title}", samples.median("edited file"),
                                first, "s", 0.15))  # fmt: skip
            if label in rss:
                peak = max(rss[label]) / MB
                rows.append(
                    Row(f"import peak RSS, {title}", peak, budget, "MB", 1.0, note="floor: 4x input + 150")
                )
        return rows + self._large_directory(size, empty)

    def _large_directory(self, size: Size, empty: Path) -> list[Row]:
        """Peak memory of one import of three times the directory (32 MB at full size) against the budget
        of 4x its largest file + 150 MB: memory bounded by the largest file, not by the whole input."""
        _, directory = self._inputs(size.copies * 3, fresh=False)
        files = sorted(directory.glob("*.md"))
        largest = max(path.stat().st_size for path in files) / MB
        total = sum(path.stat().st_size for path in files) / MB
        db = self.scratch / "import-large.db"
        _remove_db(db)
        shutil.copyfile(empty, db)
        child = self._run([*self.command, "--db", str(db), "import", str(directory)])
        _remove_db(db)
        if child.max_rss is None:
            return []
        title = f"import peak RSS, {len(files)} files ({total:.0f} MB)"
        note = f"floor: 4x largest file + 150; {child.wall:.1f} s"
        return [Row(title, child.max_rss / MB, 4 * largest + 150, "MB", 1.0, note=note)]

    def moved_import(self, size: Size, runs: int, *, fresh: bool) -> list[Row]:
        """Re-import of the directory after 10 % of its definition bullets moved to other headings."""
        _, directory = self._inputs(size.copies, fresh=fresh)
        originals = sorted(directory.glob("*.md"))
        notes = self.scratch / "moved" / directory.name  # the same paths for both imports: a re-import
        moved_texts, bullets = [], 0
        for index, path in enumerate(originals):
            text, count = move_bullets(path.read_text(encoding="utf-8"), MOVED_SHARE, seed=index)
            moved_texts.append(text)
            bullets += count
        empty = self.scratch / "empty-moved.db"
        self._run([*self.command, "--db", str(empty), "cards", "--limit", "1", "--json"])
        samples = Samples()
        kept = 0
        for _ in range(runs):
            shutil.rmtree(notes, ignore_errors=True)
            notes.mkdir(parents=True)
            paths = [notes / path.name for path in originals]
            for original, path in zip(originals, paths, strict=True):
                shutil.copyfile(original, path)
            db = self.scratch / "moved.db"
            _remove_db(db)
            shutil.copyfile(empty, db)
            self._run([*self.command, "--db", str(db), "import", str(notes)])
            for path, text in zip(paths, moved_texts, strict=True):
                path.write_text(text, encoding="utf-8")
            parsed = self._run([sys.executable, str(self.floor_parse), *map(str, paths)])
            samples.add("parse", float(parsed.stdout.strip()))
            moved = self._run([*self.command, "--db", str(db), "import", "--json", str(notes)])
            samples.add("import", moved.wall)
            kept = json.loads(moved.stdout)["moved"]
            _remove_db(db)
        return [
            Row(
                f"import, {MOVED_SHARE:.0%} of bullets moved, {len(originals)} files",
                samples.median("import"),
                samples.median("parse"),
                "s",
                1 / 0.7,
                note=f"{bullets:,} bullets moved, {kept:,} cards carried over",
            )
        ]

    # -- review: in process, per card ---------------------------------------------------------------------

    def review(self, size: Size, rounds: int, *, fresh: bool) -> list[Row]:
        cards, reviews = size.review
        pristine = self._collection("review", cards, reviews, fresh=fresh)
        db = self.scratch / "review.db"
        shutil.copyfile(pristine, db)
        per_card, queue_times = review_rounds(db, self.today, size.answers, rounds)
        ordered = sorted(per_card)
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return [
            Row(
                f"review: next card at {cards:,} cards",
                statistics.median(per_card) * 1000,
                None,
                "ms",
                10.0,
                absolute=True,
                note=f"p95 {p95 * 1000:.1f} ms, {len(per_card)} cards",
            ),  # fmt: skip
            Row(
                "(reference) review: build the day's queue", statistics.median(queue_times) * 1000, None, "ms"
            ),
        ]

    def exam(self, size: Size, runs: int, *, fresh: bool) -> list[Row]:
        """`exam show` (and `stats`, which then adds the readiness section) on the stats collection with an
        exam set in 60 days, against the floor of the stats figures: the plan is made afresh by each. Also
        the start of a review session (stdin at its end: the session plans, shows the first card, and ends
        without an answer) with that exam set, and on a copy without it."""
        cards, reviews = size.stats
        db = self.scratch / "exam.db"
        plain = self.scratch / "no-exam.db"
        shutil.copyfile(self._collection("stats", cards, reviews, fresh=fresh), db)
        shutil.copyfile(db, plain)
        exam_day = (self.today + timedelta(days=EXAM_IN_DAYS)).isoformat()
        self._run([*self.command, "--db", str(db), "exam", "set", exam_day])
        commands = {
            "floor with options": [
                sys.executable, str(self.floor_app), "--db", str(self.scratch / "none.db"), "one", "--name", "x",
                "--count", "30", "--flag",
            ],
            "exam show": [*self.command, "--db", str(db), "exam", "show"],
            "exam show --json": [*self.command, "--db", str(db), "exam", "show", "--json"],
            "stats": [*self.command, "--db", str(db), "stats"],
            "review start": [*self.command, "--db", str(db), "review"],
            "review start, no exam": [*self.command, "--db", str(plain), "review"],
        }  # fmt: skip
        for command in commands.values():
            self._run(command)  # warm-up
        samples = Samples()
        for _ in range(runs):
            for name, command in commands.items():
                child = self._run(command)
                samples.add(name, child.wall)
                samples.add(f"{name} cpu", child.cpu or 0.0)
        base = samples.median("floor with options")
        scale = f"{cards:,} cards, exam in {EXAM_IN_DAYS} days"
        return [
            Row(f"dva-cards exam show ({scale})", samples.median("exam show"), base, "s", 2.0),
            Row("dva-cards exam show --json", samples.median("exam show --json"), base, "s", 2.0),
            Row("dva-cards stats with an exam set", samples.median("stats"), base, "s", 2.0),
            Row("(reference) CPU time of exam show", samples.median("exam show cpu"), None, "s"),
            Row("(reference) CPU time of stats with an exam set", samples.median("stats cpu"), None, "s"),
            Row(
                "(reference) review: session start with an exam set",
                samples.median("review start"),
                base,
                "s",
            ),
            Row(
                "(reference) review: session start, no exam",
                samples.median("review start, no exam"),
                base,
                "s",
            ),
        ]

    def switch(self, size: Size, runs: int, *, fresh: bool) -> list[Row]:
        cards, reviews = size.stats
        db = self.scratch / "switch.db"
        shutil.copyfile(self._collection("stats", cards, reviews, fresh=fresh), db)
        floor = [sys.executable, str(self.floor_app), "--help"]
        commands = {
            name: [*self.command, "--db", str(db), "config", "set", "scheduler", name]
            for name in ("fsrs", "sm2")
        }
        self._run(floor)
        samples = Samples()
        for _ in range(runs):
            samples.add("floor", self._run(floor).wall)
            for name, command in commands.items():  # fsrs, then back to sm2: each replays the whole log
                child = self._run(command)
                samples.add(name, child.wall)
                samples.add(f"{name} cpu", child.cpu or 0.0)
        base = samples.median("floor")
        scale = f"{reviews:,} reviews"
        return [
            Row(
                f"config set scheduler fsrs ({scale})", samples.median("fsrs"), base, "s", 2.0, absolute=True
            ),
            Row(f"config set scheduler sm2 ({scale})", samples.median("sm2"), base, "s", 2.0, absolute=True),
            # The generated states are drawn at random, not folded from the log: the first switch back to SM-2
            # rewrites nearly every answered card, as after long study under FSRS; later ones write nothing.
            Row(
                "(reference) the first switch to sm2: most cards rewritten",
                samples.values["sm2"][0],
                base,
                "s",
            ),
            # On a machine busy with other work, wall time is shared out; the CPU the command used is not.
            Row("(reference) CPU time of config set scheduler fsrs", samples.median("fsrs cpu"), None, "s"),
            Row("(reference) CPU time of config set scheduler sm2", samples.median("sm2 cpu"), None, "s"),
        ]

    # -- inputs ---------------------------------------------------------------------------------------------

    def _collection(self, name: str, cards: int, reviews: int, *, fresh: bool) -> Path:
        stem = f"{name}-{cards}c-{reviews}r"
        path = self.work / f"{stem}-{self.today.isoformat()}-v{GENERATOR_VERSION}.db"
        if fresh or not path.exists():
            for stale in self.work.glob(f"{stem}-*.db*"):
                stale.unlink()
            print(f"generating {cards:,} cards and {reviews:,} reviews in {path} ...", file=sys.stderr)
            building = path.with_name(path.name + ".building")
            make_collection(building, cards=cards, reviews=reviews, seed=0, today=self.today)
            building.replace(path)
        return path

    def _inputs(self, copies: int, *, fresh: bool) -> tuple[Path, Path]:
        from dva_cards.resources import bundled_deck

        deck = bundled_deck().read_text(encoding="utf-8")
        deck = deck if deck.endswith("\n") else deck + "\n"  # each copy starts on a line of its own
        # Each copy's top-level headings carry its number: equal sections are extracted once (their results
        # are shared), so identical copies would time one copy's parse, not 100.
        texts = [_numbered_copy(deck, index) for index in range(copies)]
        marker = hashlib.blake2b(f"{copies}\x00numbered\x00{deck}".encode(), digest_size=8).hexdigest()
        root = self.work / f"notes-{copies}x"
        single, directory = root / f"aws-dva-{copies}x.md", root / "split"
        stamp = root / "built"
        if fresh or not stamp.exists() or stamp.read_text() != marker:
            shutil.rmtree(root, ignore_errors=True)
            directory.mkdir(parents=True)
            single.write_text("".join(texts), encoding="utf-8")
            for index, text in enumerate(texts):
                (directory / f"aws-dva-{index:03d}.md").write_text(text, encoding="utf-8")
            stamp.write_text(marker)
        return single, directory

    # -- subprocesses ---------------------------------------------------------------------------------------

    def _run(self, command: list[str], env: dict[str, str] | None = None) -> Child:
        """Run `command` under the small launcher, which times it and reads its own rusage from wait4.

        Not measured from this process: a child's peak RSS includes the image it was forked from, and this
        one holds generated collections (hundreds of MB); the launcher is a fresh interpreter of ~10 MB.
        """
        out, err = self.scratch / "stdout", self.scratch / "stderr"
        launcher = [sys.executable, str(self.launcher), str(out), str(err), *command]
        environment = {**self.env, **env} if env else self.env
        done = subprocess.run(launcher, env=environment, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise CommandFailed(f"launcher failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        result = json.loads(done.stdout)
        if result["status"] != 0:
            message = err.read_text(encoding="utf-8", errors="replace").strip()[-2000:]
            raise CommandFailed(f"{' '.join(command)} exited with {result['status']}: {message}")
        return Child(
            result["wall"],
            result["max_rss"],
            out.read_text(encoding="utf-8", errors="replace"),
            result.get("cpu"),
        )


def _numbered_copy(deck: str, index: int) -> str:
    """The deck with ` (copy N)` after each top-level heading outside fenced code."""
    lines = deck.split("\n")
    fence = False
    for number, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        elif not fence and line.startswith("# "):
            lines[number] = f"{line} (copy {index + 1})"
    return "\n".join(lines)


MOVED_SHARE = 0.1
_DEFINITION_BULLET = re.compile(r"[*+-] (\*\*|__|`|\*|_)")


def move_bullets(text: str, share: float, seed: int) -> tuple[str, int]:
    """`text` with `share` of its top-level definition bullets (with their nested lines) moved under other
    headings, and how many moved. Deterministic for a seed."""
    lines = text.splitlines(keepends=True)
    blocks: list[list[str]] = []  # a heading, a definition bullet with its nested lines, or any other line
    for line in lines:
        nested = line.startswith((" ", "\t")) and blocks and _DEFINITION_BULLET.match(blocks[-1][0])
        if nested:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    bullets = [index for index, block in enumerate(blocks) if _DEFINITION_BULLET.match(block[0])]
    headings = [index for index, block in enumerate(blocks) if block[0].startswith("#")]
    chosen = set(random.Random(seed).sample(bullets, int(len(bullets) * share))) if headings else set()
    rng = random.Random(seed + 1)
    arrivals: dict[int, list[list[str]]] = {}
    for index in sorted(chosen):
        others = [heading for heading in headings if not _same_section(heading, index, headings)] or headings
        arrivals.setdefault(rng.choice(others), []).append(blocks[index])
    out: list[str] = []
    for index, block in enumerate(blocks):
        if index in chosen:
            continue
        out += block
        for moved in arrivals.get(index, ()):
            out += ["\n", *moved, "\n"]
    return "".join(out), len(chosen)


def _same_section(heading: int, index: int, headings: list[int]) -> bool:
    """Whether block `index` sits under `heading` (before the next heading)."""
    later = [each for each in headings if each > heading]
    return heading < index and (not later or index < later[0])


def review_rounds(db: Path, today: date, answers: int, rounds: int) -> tuple[list[float], list[float]]:
    """Answer up to `answers` cards per round as the review loop does, without rendering.

    Returns the seconds of each answered card (fetch it, grade it, write the answer, next queue) and of each
    round's queue building (today's answer counts, candidates, `build_queue`).
    """
    from dva_cards.grading import LeechPolicy, grade
    from dva_cards.session import DailyLimits, after_answer, build_queue
    from dva_cards.store import Store

    per_card: list[float] = []
    queue_times: list[float] = []
    clock = time.perf_counter
    leeches = LeechPolicy(threshold=8, suspend=False)
    with Store.open(db) as store:
        for _ in range(rounds):
            start = clock()
            store.answers_today(today)
            limits = DailyLimits(new_per_day=20, reviews_per_day=answers)
            candidates = store.queue_candidates(today, new_limit=20, review_limit=answers)
            queue = build_queue(candidates, today, limits)
            queue_times.append(clock() - start)
            for count in range(answers):
                head = queue.next_card()
                if head is None:
                    break
                start = clock()
                card = store.review_card(head[0])
                if card is None:
                    raise CommandFailed(f"card {head[0]} of the queue is missing")
                quality = GRADES[count % len(GRADES)]
                graded = grade(
                    card.id, card.schedule, quality, today=today, at=datetime.now(UTC), duration_ms=3000,
                    leeches=leeches,
                )  # fmt: skip
                store.record_answer(graded.answer)
                after_answer(queue, card.id, graded.answer.after, today)
                per_card.append(clock() - start)
    if not per_card:
        raise CommandFailed(f"nothing to review in {db}")
    return per_card, queue_times


def _print_table(rows: list[Row], size_name: str, runs: int, import_runs: int, seconds: float) -> None:
    judged = size_name == "full"
    print(
        f"dva-cards benchmark, size {size_name}: Python {platform.python_version()}, {os.cpu_count()} CPUs; "
        f"medians of {runs} interleaved runs ({import_runs} for imports); {seconds:.0f} s in all"
    )
    name_width = max(len(row.name) for row in rows) if rows else 10
    print(f"{'figure':<{name_width}}  {'value':>10}  {'floor':>10}  {'ratio':>6}  {'target':>8}  result")
    missed = []
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
        if row.limit is None:
            target = "-"
        elif row.absolute:
            target = f"<={_amount(row.limit, row.unit)}"
        else:
            target = f"<={row.limit:.2f}"
        if row.passed is None:
            result = ""
        elif not judged:
            result = "(not judged)"
        else:
            result = "pass" if row.passed else "MISS"
            if not row.passed:
                missed.append(row.name)
        floor = "-" if row.floor is None else _amount(row.floor, row.unit)
        note = f"  {row.note}" if row.note else ""
        print(
            f"{row.name:<{name_width}}  {_amount(row.value, row.unit):>10}  {floor:>10}  {ratio:>6}  "
            f"{target:>8}  {result}{note}"
        )
    if not judged:
        print("smoke run: sizes too small to judge the targets (run without --size tiny for that)")
    elif missed:
        print(f"MISS: {len(missed)} target(s) missed: {'; '.join(missed)}")
    else:
        print("all targets met")


def _amount(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"
    if unit == "ms":
        return f"{value:.2f} ms"
    return f"{value:.0f} MB"


def _completion_env(variable: str, line: str) -> dict[str, str]:
    """The environment bash's completion function gives the command to complete the last word of ``line``."""
    return {variable: "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split(" ")) - 1)}


def _remove_db(path: Path) -> None:
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        each.unlink(missing_ok=True)


def _learner_today() -> date:
    """Today as `dva-cards` will see it (default rollover hour), so the history ends on the learner's day."""
    from dva_cards.clock import learner_today

    return learner_today(datetime.now(UTC))


def _dva_cards_command() -> list[str]:
    script = Path(sys.executable).with_name("dva-cards")
    if script.exists():
        return [str(script)]
    found = shutil.which("dva-cards")
    return [found] if found else [sys.executable, "-m", "dva_cards"]


if __name__ == "__main__":
    sys.exit(main())
