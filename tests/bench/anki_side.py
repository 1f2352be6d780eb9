"""dva-cards and Anki side by side: the same cards, the same machine, interleaved runs, medians.

    python -m tests.bench.run --only anki              # part of the default run too
    python -m tests.bench.anki_side [--size tiny]      # this group alone

The Anki side is the official `anki` package (a test extra) driven through its Python API, each piece of work
in a process of its own (tests/bench/side_worker.py) that opens the collection, works and closes it, as
`dva-cards` does for every command. Its collections are built from the dva-cards ones
(tests/bench/anki_mirror.py): same decks, notes, schedules and review history.

* import: `dva-cards import` of the bundled deck x100 as one 10.7 MB file into a new collection, against
  Anki's text import (`import_csv`) of the same cards pre-extracted (`dva-cards export FILE.txt`, the format
  Anki reads with no mapping) into a new collection that has the dva-cards note type; then both again
  unchanged; then both after editing one definition (one line of the notes; one note's Back in the text file).
* first card: `dva-cards review` at 100,000 cards (end of input right after the first card shows) against
  opening the Anki twin, fetching its first queued card and rendering its question.
* per answer, 1,000 answers in one session (the day's queue with room for 1,000 reviews on both sides):
  fetch the card, grade it, write the answer, move the queue on; no screen. Memory growth over the session.
* stats: `dva-cards stats` and `stats --deck aws-dva` at 50,000 cards / 500,000 reviews and at 200,000 cards /
  2,000,000 reviews, against Anki's statistics screen data (the backend's graphs over the last 365 days, for
  the whole collection and for `deck:"dva-cards::aws-dva"`).

Each figure is the whole process's wall time on both sides (what a script or a command waits for); the note
also gives Anki's time for the work alone, inside its process. The ratio is dva-cards / Anki; the targets are
the issue's: every daily path (first card, answer, stats, stats --deck, re-import, edited re-import) at most
1.0, the import of new notes at most 3.0 (dva-cards parses markdown; Anki reads fields).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .anki_mirror import deck_name, empty_collection, mirror_collection, set_daily_limits
from .run import MB, Bench, Row, Samples, _print_table, _remove_db

MIRROR_VERSION = 1  # bump when anki_mirror.py changes what it writes: cached Anki twins are then rebuilt
WORKER = Path(__file__).with_name("side_worker.py")
DAILY = 1.0  # dva-cards / Anki on every daily path
NEW_IMPORT = 3.0  # dva-cards / Anki for an import of new notes


@dataclass(frozen=True)
class SideSize:
    copies: int  # copies of the bundled deck in the imported file
    review: tuple[int, int]  # cards, reviews of the first-card and answer collection
    answers: int  # answers per session
    cram_answers: int  # answers of the dva-cards cram session over every card (no Anki counterpart)
    stats: tuple[tuple[int, int], ...]  # (cards, reviews) of each stats collection
    runs: int
    import_runs: int


SIDE_SIZES = {
    "full": SideSize(
        copies=100,
        review=(100_000, 100_000),
        answers=1_000,
        cram_answers=2_000,
        stats=((50_000, 500_000), (200_000, 2_000_000)),
        runs=5,
        import_runs=3,
    ),
    "tiny": SideSize(
        copies=3,
        review=(1_000, 1_000),
        answers=40,
        cram_answers=40,
        stats=((300, 3_000), (1_200, 12_000)),
        runs=1,
        import_runs=1,
    ),
}


def side_by_side(
    bench: Bench, size_name: str, *, runs: int | None = None, import_runs: int | None = None, fresh: bool
) -> list[Row]:
    size = SIDE_SIZES[size_name]
    side = Side(bench, size, fresh=fresh)
    quick_runs = max(1, runs or size.runs)
    return [
        *side.imports(max(1, import_runs or size.import_runs)),
        *side.first_card(quick_runs),
        *side.answers(max(1, quick_runs // 2)),
        *side.stats(quick_runs),
    ]


class Side:
    def __init__(self, bench: Bench, size: SideSize, *, fresh: bool) -> None:
        self.bench = bench
        self.size = size
        self.fresh = fresh
        self.root = bench.scratch / "anki-side"
        self.root.mkdir(parents=True, exist_ok=True)

    # -- import ---------------------------------------------------------------------------------------------

    def imports(self, runs: int) -> list[Row]:
        bench = self.bench
        original, edited, tsv, tsv_edited = self._import_inputs()
        notes = self.root / "import" / original.name  # one path for every run: the deck and sources match
        notes.parent.mkdir(parents=True, exist_ok=True)
        text, edited_text = original.read_bytes(), edited.read_bytes()
        empty_dva = self.root / "empty.db"
        _remove_db(empty_dva)
        bench._run([*bench.command, "--db", str(empty_dva), "cards", "--limit", "1", "--json"])
        template = empty_collection(self.root / "anki-empty" / "collection.anki2")
        samples, ops, counts = Samples(), Samples(), {}
        for _ in range(runs):
            db = self.root / "import.db"
            _remove_db(db)
            shutil.copyfile(empty_dva, db)
            notes.write_bytes(text)
            for label, content in (("new", text), ("unchanged", text), ("edited", edited_text)):
                notes.write_bytes(content)
                child = bench._run([*bench.command, "--db", str(db), "import", "--json", str(notes)])
                samples.add(f"dva {label}", child.wall)
                counts[f"dva {label}"] = json.loads(child.stdout)
            anki = self._fresh_copy(template, "anki-import")
            for label, path in (("new", tsv), ("unchanged", tsv), ("edited", tsv_edited)):
                wall, result = self._worker("anki-import", anki, path)
                samples.add(f"anki {label}", wall)
                ops.add(f"anki {label}", result["op"])
                counts[f"anki {label}"] = result["counts"]
        added = counts["dva new"]["added"]
        if counts["anki new"]["new"] != added:
            print(f"note: Anki imported {counts['anki new']['new']} notes, dva-cards added {added} cards",
                  file=sys.stderr)  # fmt: skip
        megabytes = original.stat().st_size / MB
        dva_edit, anki_edit = counts["dva edited"], counts["anki edited"]
        titles = {
            "new": (f"import {megabytes:.1f} MB ({added:,} cards) into a new collection", NEW_IMPORT),
            "unchanged": ("re-import unchanged", DAILY),
            "edited": ("re-import after editing one definition", DAILY),
        }
        rows = []
        for label, (title, target) in titles.items():
            note = f"Anki alone {ops.median(f'anki {label}'):.3f} s"
            if label == "edited":
                note += (f"; updated: dva {dva_edit['updated']}, Anki {anki_edit['updated']}")  # fmt: skip
            rows.append(_row(title, samples, label, target, note))
        return rows

    def _import_inputs(self) -> tuple[Path, Path, Path, Path]:
        """The notes file, the same with one definition edited, and both as Anki text files (cached)."""
        bench = self.bench
        single, _directory = bench._inputs(self.size.copies, fresh=False)
        text = single.read_text(encoding="utf-8")
        marker = hashlib.blake2b(f"{MIRROR_VERSION}\x00{text}".encode(), digest_size=8).hexdigest()
        root = bench.work / f"anki-import-{self.size.copies}x"
        edited = root / "edited" / single.name
        tsv, tsv_edited = root / "notes.txt", root / "notes-edited.txt"
        stamp = root / "built"
        if self.fresh or not stamp.exists() or stamp.read_text() != marker:
            shutil.rmtree(root, ignore_errors=True)
            edited.parent.mkdir(parents=True)
            edited.write_text(edit_one_definition(text), encoding="utf-8")
            # Pre-extracted for Anki: dva-cards' own export of exactly these cards, from the same path.
            work = root / "work"
            notes = work / single.name
            notes.parent.mkdir(parents=True)
            db = work / "export.db"
            for content, target in ((text, tsv), (edited.read_text(encoding="utf-8"), tsv_edited)):
                notes.write_text(content, encoding="utf-8")
                bench._run([*bench.command, "--db", str(db), "import", str(notes)])
                bench._run([*bench.command, "--db", str(db), "export", str(target)])
            shutil.rmtree(work)
            stamp.write_text(marker)
        return single, edited, tsv, tsv_edited

    # -- first card ---------------------------------------------------------------------------------------

    def first_card(self, runs: int) -> list[Row]:
        bench = self.bench
        cards, reviews = self.size.review
        dva_db, anki = self._pair("review", cards, reviews)
        db = self.root / "first-card.db"
        _remove_db(db)
        shutil.copyfile(dva_db, db)
        anki_copy = self._fresh_copy(anki, "anki-first-card")
        dva_command = [*bench.command, "--db", str(db), "review"]
        bench._run(dva_command)  # warm-up, both sides
        self._worker("anki-first-card", anki_copy)
        samples, ops = Samples(), Samples()
        for _ in range(runs):
            child = bench._run(dva_command)
            if "Reviewed 0" not in child.stdout:
                raise RuntimeError(
                    f"dva-cards review did not end after the first card: {child.stdout[-500:]}"
                )
            samples.add("dva first", child.wall)
            wall, result = self._worker("anki-first-card", anki_copy)
            samples.add("anki first", wall)
            ops.add("anki first", result["op"])
        return [
            _row(
                f"open {cards:,} cards and show the first card",
                samples,
                "first",
                DAILY,
                f"Anki alone {ops.median('anki first'):.3f} s",
            )
        ]

    # -- answers --------------------------------------------------------------------------------------------

    def answers(self, runs: int) -> list[Row]:
        cards, reviews = self.size.review
        count = self.size.answers
        dva_db, anki = self._pair("review", cards, reviews, limits=(20, count))
        today = self.bench.today.isoformat()
        results: dict[str, list[dict[str, Any]]] = {"dva": [], "anki": []}
        for _ in range(runs):
            db = self.root / "answers.db"
            _remove_db(db)
            shutil.copyfile(dva_db, db)
            results["dva"].append(self._worker("dva-answers", db, count, today)[1])
            results["anki"].append(
                self._worker("anki-answers", self._fresh_copy(anki, "anki-answers"), count)[1]
            )
        db = self.root / "cram.db"
        _remove_db(db)
        shutil.copyfile(dva_db, db)
        cram = self._worker("dva-answers", db, self.size.cram_answers, today, "cram")[1]
        dva, anki_result = _merge(results["dva"]), _merge(results["anki"])
        title = f"per answer, {dva['answers']:,} answers at {cards:,} cards"
        return [
            Row(
                title,
                dva["median"] * 1000,
                anki_result["median"] * 1000,
                "ms",
                DAILY,
                note=f"p95 {dva['p95'] * 1000:.2f} / {anki_result['p95'] * 1000:.2f} ms; last 100 "
                f"{dva['last100'] * 1000:.2f} / {anki_result['last100'] * 1000:.2f} ms",
            ),
            Row(
                f"memory growth over those {dva['answers']:,} answers",
                dva["rss_growth"] / MB,
                anki_result["rss_growth"] / MB,
                "MB",
                None,
                note="peak RSS over the session minus RSS at its start, dva-cards / Anki",
            ),
            Row(
                f"(dva-cards only) per answer, cram over all {cards:,} cards, {cram['answers']:,} answers",
                cram["median"] * 1000,
                None,
                "ms",
                0.5,
                absolute=True,
                note=f"last 100 {cram['last100'] * 1000:.2f} ms; memory growth {cram['rss_growth'] / MB:.0f} MB",
            ),
        ]

    # -- stats ----------------------------------------------------------------------------------------------

    def stats(self, runs: int) -> list[Row]:
        bench = self.bench
        commands: dict[str, tuple[list[str], Path, str]] = {}
        for cards, reviews in self.size.stats:
            dva_db, anki = self._pair("stats", cards, reviews)
            scale = f"{cards:,} cards / {reviews:,} reviews"
            commands[f"stats, {scale}"] = ([*bench.command, "--db", str(dva_db), "stats"], anki, "")
            commands[f"stats --deck aws-dva, {scale}"] = (
                [*bench.command, "--db", str(dva_db), "stats", "--deck", "aws-dva"],
                anki,
                f'deck:"{deck_name("aws-dva")}"',
            )
        for command, anki, search in commands.values():  # warm-up
            bench._run(command)
            self._worker("anki-stats", anki, search)
        samples, ops = Samples(), Samples()
        for _ in range(runs):
            for name, (command, anki, search) in commands.items():
                samples.add(f"dva {name}", bench._run(command).wall)
                wall, result = self._worker("anki-stats", anki, search)
                samples.add(f"anki {name}", wall)
                ops.add(f"anki {name}", result["op"])
        return [
            _row(name, samples, name, DAILY, f"Anki alone {ops.median(f'anki {name}'):.3f} s")
            for name in commands
        ]

    # -- collections ----------------------------------------------------------------------------------------

    def _pair(
        self, name: str, cards: int, reviews: int, *, limits: tuple[int, int] | None = None
    ) -> tuple[Path, Path]:
        """The generated dva-cards collection and its Anki twin (cached beside it, rebuilt with it)."""
        bench = self.bench
        dva_db = bench._collection(name, cards, reviews, fresh=self.fresh)
        stem = dva_db.name.removesuffix(".db")
        twin = bench.work / f"anki-{stem}-m{MIRROR_VERSION}" / "collection.anki2"
        if self.fresh or not twin.exists():  # the stem names the generator's version and day
            for stale in bench.work.glob(f"anki-{name}-{cards}c-{reviews}r-*"):
                shutil.rmtree(stale, ignore_errors=True)
            print(f"building the Anki twin of {dva_db.name} ...", file=sys.stderr)
            building = twin.with_name("building.anki2")
            mirror_collection(dva_db, building, bench.today)
            building.replace(twin)
        if limits is None:
            return dva_db, twin
        limited = twin.with_name(f"limits-{limits[0]}-{limits[1]}.anki2")
        if not limited.exists() or limited.stat().st_mtime < twin.stat().st_mtime:
            shutil.copyfile(twin, limited)
            set_daily_limits(limited, new_per_day=limits[0], reviews_per_day=limits[1])
        return dva_db, limited

    def _fresh_copy(self, anki: Path, name: str) -> Path:
        """A scratch copy of an Anki collection, in a directory of its own (Anki keeps media beside it)."""
        folder = self.root / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        copy = folder / "collection.anki2"
        shutil.copyfile(anki, copy)
        return copy

    def _worker(self, *args: Any) -> tuple[float, dict[str, Any]]:
        child = self.bench._run([sys.executable, str(WORKER), *map(str, args)])
        return child.wall, json.loads(child.stdout.strip().splitlines()[-1])


def edit_one_definition(text: str) -> str:
    """The notes with one definition's answer changed, in the middle of the file (its line count unchanged)."""
    lines = text.split("\n")
    definition = re.compile(r"^\s*[*-] \*\*[^*]+\*\*\s*[-:–—]\s*\S")
    middle = len(lines) // 2
    for index in range(middle, len(lines)):
        if definition.match(lines[index]):
            lines[index] += " (edited for the benchmark)"
            return "\n".join(lines)
    raise ValueError("no definition to edit in the second half of the notes")


def _row(name: str, samples: Samples, label: str, target: float, note: str) -> Row:
    return Row(name, samples.median(f"dva {label}"), samples.median(f"anki {label}"), "s", target, note=note)


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Several sessions' reports as one: medians of their medians, the largest memory growth."""
    return {
        "answers": results[0]["answers"],
        "median": statistics.median(r["median"] for r in results),
        "p95": statistics.median(r["p95"] for r in results),
        "last100": statistics.median(r["last100"] for r in results),
        "rss_growth": max(r["rss_growth"] for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIDE_SIZES), default="full")
    parser.add_argument("--runs", type=int, help="runs of each quick figure (default: by size)")
    parser.add_argument("--import-runs", type=int, help="runs of each import figure (default: by size)")
    parser.add_argument("--work", type=Path, help="cache and scratch dir (default: <tmp>/dva-cards-bench)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached inputs and collections")
    args = parser.parse_args(argv)
    work = (args.work or Path(tempfile.gettempdir()) / "dva-cards-bench").resolve()
    scratch = work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    bench = Bench(work, scratch, args.size)
    started = time.perf_counter()
    try:
        rows = side_by_side(bench, args.size, runs=args.runs, import_runs=args.import_runs, fresh=args.fresh)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    size = SIDE_SIZES[args.size]
    print(f"side by side with Anki {anki_version()}: the floor column is Anki's figure on the same cards")
    _print_table(rows, args.size, args.runs or size.runs, args.import_runs or size.import_runs,
                 time.perf_counter() - started)  # fmt: skip
    return 0


def anki_version() -> str:
    from anki.buildinfo import version

    return str(version)


if __name__ == "__main__":
    sys.exit(main())
