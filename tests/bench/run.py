"""Benchmarks: how long `dva-cards` commands take against a floor, as a table of medians.

    python -m tests.bench.run                 # 50,000 cards, 500,000 reviews; fails if a limit is exceeded
    python -m tests.bench.run --size tiny     # CI smoke run: checks the commands work, never fails on timing

The floor is a bare Typer app with three commands printing its `--help`, run as a subprocess like every
figure: it is what any Python CLI of this shape costs on this machine (interpreter start, Typer, Rich).
Figures and floor runs are interleaved, so a busy machine slows both alike; each value is the median of
`--runs` wall-clock times. The generated collection is cached in the temp dir (`--fresh` rebuilds it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from .generate import make_collection

SIZES = {"full": (50_000, 500_000), "tiny": (300, 3_000)}

FLOOR_APP = '''
import typer

app = typer.Typer()


@app.command()
def one(name: str = "x") -> None:
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


@dataclass(frozen=True)
class Figure:
    name: str
    args: Sequence[str]  # arguments after `dva-cards --db COLLECTION`
    limit: float | None  # highest acceptable ratio to the floor (full size only); None: reported only


# The stats part. Other commands add their figures here. The first row is a reference, not a target: a command
# that only opens the collection and reads one row shows what every command pays before doing its own work.
FIGURES = [
    Figure("(reference) cards --limit 1 --json", ["cards", "--limit", "1", "--json"], None),
    Figure("dva-cards stats", ["stats"], 2.0),
    Figure("dva-cards stats --json", ["stats", "--json"], 2.0),
    Figure("dva-cards stats --deck aws-dva", ["stats", "--deck", "aws-dva"], None),
]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure (median reported)")
    parser.add_argument("--db", type=Path, help="use this collection instead of a generated one")
    parser.add_argument("--fresh", action="store_true", help="regenerate the cached collection")
    parser.add_argument("--no-check", action="store_true", help="report only, never fail on timing")
    args = parser.parse_args(argv)

    work = Path(tempfile.gettempdir()) / "dva-cards-bench"
    work.mkdir(exist_ok=True)
    floor_app = work / "floor_app.py"
    floor_app.write_text(FLOOR_APP, encoding="utf-8")
    collection = args.db or _collection(work, args.size, fresh=args.fresh)

    command = _dva_cards_command()
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("DVA_CARDS_DB", None)
    runs: dict[str, Callable[[], None]] = {
        "floor": lambda: _run([sys.executable, str(floor_app), "--help"], env)
    }
    for figure in FIGURES:
        runs[figure.name] = _bound_run([*command, "--db", str(collection), *figure.args], env)
    for run in runs.values():
        run()  # warm up: bytecode caches and the OS page cache, as on any machine after the first run

    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(max(1, args.runs)):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)

    floor = statistics.median(times["floor"])
    print(f"collection: {collection} ({args.size}); {args.runs} runs each, median wall time")
    print(f"{'figure':<34} {'value':>8} {'floor':>8} {'ratio':>6} {'limit':>6}")
    failed = []
    for figure in FIGURES:
        value = statistics.median(times[figure.name])
        ratio = value / floor
        limit = "-" if figure.limit is None else f"{figure.limit:.1f}"
        over = figure.limit is not None and ratio > figure.limit
        mark = "  over" if over else ""
        print(f"{figure.name:<34} {value:>7.3f}s {floor:>7.3f}s {ratio:>6.2f} {limit:>6}{mark}")
        if over:
            failed.append(figure.name)
    if failed and args.size == "full" and not args.no_check:
        print(f"over the limit: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _collection(work: Path, size: str, *, fresh: bool) -> Path:
    cards, reviews = SIZES[size]
    today = _learner_today()
    path = work / f"{size}-{today.isoformat()}.db"
    if fresh or not path.exists():
        print(f"generating {cards} cards and {reviews} reviews in {path} ...", file=sys.stderr)
        make_collection(path, cards=cards, reviews=reviews, seed=0, today=today)
    return path


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


def _bound_run(command: list[str], env: dict[str, str]) -> Callable[[], None]:
    return lambda: _run(command, env)


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")


if __name__ == "__main__":
    sys.exit(main())
