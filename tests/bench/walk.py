"""What extraction yields, as one dump to compare before and after a speed change, and how long it takes.

    python -m tests.bench.walk --save DUMP      # write the dump of the current code
    python -m tests.bench.walk --check DUMP     # compare with a saved dump: exit 1 on any difference
    python -m tests.bench.walk --time           # single-process extraction of the benchmark's 100 files

The dump holds every card (context, front, back, line, occurrence) and every skipped item (line, reason,
text) and the title that `extract` gives, and also what the import's section-by-section path
(`lay_out`) gives, for every markdown file of tests/corpus/notes, for the bundled deck, for the
import benchmark's 100 numbered copies of it and for ten of those copies as one file (several parse pieces).
A speed change to the extractor must leave it byte-identical.

`--time` extracts the 100 files one after the other in this process, as the import does on one core, and
prints the median of a few runs next to bare markdown-it parsing of the same text (the import benchmark's
floor); in-process, it is far less noisy than the import benchmark's subprocess figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from markdown_it import MarkdownIt

from dva_cards import extract as extract_module
from dva_cards.resources import bundled_deck
from dva_cards.sections import lay_out

from .run import _numbered_copy

CORPUS_NOTES = Path(__file__).resolve().parent.parent / "corpus" / "notes"
COPIES = 100


def _deck() -> str:
    deck = bundled_deck().read_text(encoding="utf-8")
    return deck if deck.endswith("\n") else deck + "\n"


def bench_texts() -> list[str]:
    """The import benchmark's directory: the bundled deck 100 times, each copy's top-level headings numbered."""
    deck = _deck()
    return [_numbered_copy(deck, index) for index in range(COPIES)]


def inputs() -> Iterator[tuple[str, str]]:
    for path in sorted(CORPUS_NOTES.rglob("*.md")):
        yield str(path.relative_to(CORPUS_NOTES)), path.read_text(encoding="utf-8")
    yield "decks/aws-dva.md", bundled_deck().read_text(encoding="utf-8")
    texts = bench_texts()
    for index, text in enumerate(texts):
        yield f"bench/aws-dva-{index:03d}.md", text
    yield "bench/ten-copies.md", "".join(texts[:10])


def _extraction_json(extraction: extract_module.Extraction) -> object:
    return {
        "title": extraction.title,
        "cards": [[list(c.context), c.front, c.back, c.line, c.occurrence] for c in extraction.cards],
        "skipped": [[s.line, s.reason, s.text] for s in extraction.skipped],
    }


def dump_lines() -> Iterator[str]:
    for name, text in inputs():
        whole = extract_module.extract(text)
        laid = lay_out(text, {}, "dump")
        laid_out, layout = laid.extraction(), laid.layout
        record = {
            "file": name,
            "extract": _extraction_json(whole),
            "sections": _extraction_json(laid_out),
            "layout": sorted(layout.values()),
        }
        yield json.dumps(record, ensure_ascii=False, sort_keys=True)


def time_extraction(runs: int) -> tuple[float, float]:
    """(median seconds to extract the 100 files here, median seconds to parse them with bare markdown-it)."""
    texts = bench_texts()
    md = MarkdownIt("commonmark").enable("table")
    extracting: list[float] = []
    parsing: list[float] = []
    for _ in range(runs):
        began = time.perf_counter()
        for text in texts:
            md.parse(text)
        parsing.append(time.perf_counter() - began)
        began = time.perf_counter()
        for text in texts:
            lay_out(text, {}, "time").extraction()
        extracting.append(time.perf_counter() - began)
    return statistics.median(extracting), statistics.median(parsing)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--save", type=Path, help="write the dump here")
    parser.add_argument("--check", type=Path, help="compare with this saved dump")
    parser.add_argument("--time", action="store_true", help="time single-process extraction of 100 files")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    status = 0
    if args.save or args.check:
        text = "\n".join(dump_lines()) + "\n"
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        if args.save:
            args.save.write_text(text, encoding="utf-8")
            print(f"saved {args.save} ({len(text):,} chars, sha256 {digest})")
        if args.check:
            saved = args.check.read_text(encoding="utf-8")
            if saved == text:
                print(f"identical to {args.check} (sha256 {digest})")
            else:
                status = 1
                for number, (old, new) in enumerate(zip(saved.split("\n"), text.split("\n"), strict=False)):
                    if old != new:
                        print(f"DIFFERENT from {args.check}: first at record {number + 1}")
                        print(f"  saved: {old[:300]}\n  now:   {new[:300]}")
                        break
                else:
                    print(f"DIFFERENT from {args.check}: {len(saved)} vs {len(text)} chars")
    if args.time:
        extracting, parsing = time_extraction(args.runs)
        print(
            f"extract 100 files in one process: {extracting:.2f} s; bare markdown-it parse: {parsing:.2f} s; "
            f"ratio {extracting / parsing:.2f} (median of {args.runs})"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
