"""Extraction quality on hand-labelled notes by other authors: recall and precision, per author and overall.

    python -m tests.bench.extraction                 # the labelled set committed under tests/corpus
    python -m tests.bench.extraction --top 15        # longer miss / false-card pattern lists
    python -m tests.bench.extraction --show misses   # every miss (or: false) with its line and text
    python -m tests.bench.extraction --labels DIR --notes DIR   # a labelled set kept outside the repository

Each line of `labels/<author>.jsonl` is one candidate (a list item or table body row, see
tests/corpus/LABELLING.md). `extract` runs on every labelled file; a card is matched to the candidate on
its line. A card is *good* when its candidate is labelled a definition and its front equals the label's
front after normalisation (markdown stripped, casefolded, whitespace collapsed, trailing punctuation
trimmed). Recall = definitions with a good card / definitions; precision = good cards / cards on labelled
candidates. Targets: recall >= 90 %, precision >= 95 % overall, and no author below 80 % recall.

Misses are grouped by the extractor's reason (the `--explain` reason code when it rejected the item, or
"wrong front" / "not read as a definition") and false cards by the shape of their line.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dva_cards.definitions import plain_text
from dva_cards.extract import extract

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
TARGET_RECALL = 0.90
TARGET_PRECISION = 0.95
TARGET_AUTHOR_RECALL = 0.80

_TRAILING_PUNCTUATION = ".,;:!?：。，；！？ "


def normalise(front: str) -> str:
    return " ".join(plain_text(front).casefold().split()).rstrip(_TRAILING_PUNCTUATION)


@dataclass(frozen=True)
class Label:
    file: str
    line: int
    text: str
    definition: bool
    front: str | None


@dataclass
class Score:
    definitions: int = 0
    carded: int = 0  # definitions with a good card
    cards: int = 0  # cards on labelled candidates
    good: int = 0
    misses: list[tuple[str, Label, str]] = field(default_factory=list)  # (pattern, label, what we made)
    false_cards: list[tuple[str, Label, str]] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.definitions += other.definitions
        self.carded += other.carded
        self.cards += other.cards
        self.good += other.good
        self.misses.extend(other.misses)
        self.false_cards.extend(other.false_cards)

    @property
    def recall(self) -> float:
        return self.carded / self.definitions if self.definitions else 1.0

    @property
    def precision(self) -> float:
        return self.good / self.cards if self.cards else 1.0


def read_labels(path: Path) -> list[Label]:
    labels = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            item = json.loads(raw)
            labels.append(Label(item["file"], item["line"], item["text"], item["definition"], item["front"]))
    return labels


_SHAPES = [
    ("table row", re.compile(r"^\|")),
    ("marked term + separator", re.compile(r"^(\*\*|__|\*|_|`|\[)[^\n]*?(\1|\]\([^)]*\)|\]\])\s*[-–—:：=→]")),
    ("bold term line", re.compile(r"^(\*\*|__)[^\n]*(\*\*|__):?$")),
    ("marked term running on", re.compile(r"^(\*\*|__)")),
    ("emphasis/code/link opener", re.compile(r"^[*_`\[]")),
    ("plain term line ending in a colon", re.compile(r"^[^:：]{1,60}[:：]$")),
    ("plain term + colon", re.compile(r"^[^:：]{1,60}[:：]")),
    ("plain term + dash/equals/arrow", re.compile(r"^\S.{0,60}?\s(?:-|–|—|=|->|=>|→)\s")),
]


_ITEM_MARKER = re.compile(r"^(?:>\s*)*(?:[-*+]|\d+[.)])?\s*")


def shape(text: str) -> str:
    text = text[_ITEM_MARKER.match(text).end() :] if text[:1] != "|" else text  # type: ignore[union-attr]
    for name, pattern in _SHAPES:
        if pattern.search(text):
            return name
    return "other line"


def score_file(text: str, labels: Iterable[Label]) -> Score:
    extraction = extract(text)
    cards = {}
    for card in extraction.cards:
        cards.setdefault(card.line, card)
    reasons = {rejected.line: rejected.reason for rejected in extraction.skipped}
    score = Score()
    for label in labels:
        card = cards.get(label.line)
        good = card is not None and label.definition and normalise(card.front) == normalise(label.front or "")
        if label.definition:
            score.definitions += 1
            if good:
                score.carded += 1
            elif card is not None:
                score.misses.append(("wrong front", label, card.front))
            else:
                score.misses.append((reasons.get(label.line, "not read as a definition"), label, ""))
        if card is not None:
            score.cards += 1
            if good:
                score.good += 1
            else:
                pattern = shape(label.text) if not label.definition else "wrong front"
                score.false_cards.append((pattern, label, card.front))
    return score


def score_author(labels_path: Path, notes: Path) -> Score:
    by_file: dict[str, list[Label]] = {}
    for label in read_labels(labels_path):
        by_file.setdefault(label.file, []).append(label)
    score = Score()
    for file, labels in by_file.items():
        text = (notes / file).read_bytes().decode("utf-8-sig")
        score.add(score_file(text, labels))
    return score


def _percent(value: float) -> str:
    return f"{100 * value:5.1f} %"


def report(scores: dict[str, Score], top: int, show: str | None) -> bool:
    total = Score()
    print(f"{'author':48} {'defs':>5} {'carded':>6} {'cards':>6} {'recall':>8} {'precision':>9}")
    for author, score in scores.items():
        total.add(score)
        flag = "" if score.recall >= TARGET_AUTHOR_RECALL else "  < 80 % recall"
        print(
            f"{author:48} {score.definitions:5} {score.carded:6} {score.cards:6} "
            f"{_percent(score.recall):>8} {_percent(score.precision):>9}{flag}"
        )
    print(
        f"{'overall':48} {total.definitions:5} {total.carded:6} {total.cards:6} "
        f"{_percent(total.recall):>8} {_percent(total.precision):>9}"
    )
    for title, entries in (("misses", total.misses), ("false cards", total.false_cards)):
        print(f"\ntop {title} patterns:")
        for pattern, count in Counter(pattern for pattern, _, _ in entries).most_common(top):
            print(f"  {count:4}  {pattern}")
    if show:
        entries = total.misses if show == "misses" else total.false_cards
        print(f"\nevery {show}:")
        for pattern, label, made in entries:
            print(f"  {label.file}:{label.line}: [{pattern}] {label.text[:100]}")
            print(f"      expected {label.front!r}, made {made!r}")
    met = (
        total.recall >= TARGET_RECALL
        and total.precision >= TARGET_PRECISION
        and all(score.recall >= TARGET_AUTHOR_RECALL for score in scores.values())
    )
    print(
        f"\ntargets (recall >= 90 %, precision >= 95 %, every author >= 80 % recall): "
        f"{'met' if met else 'NOT met'}"
    )
    return met


def score_all(labels: Path, notes: Path) -> dict[str, Score]:
    return {path.stem: score_author(path, notes) for path in sorted(labels.glob("*.jsonl"))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--labels", type=Path, default=CORPUS / "labels")
    parser.add_argument("--notes", type=Path, default=CORPUS / "notes")
    parser.add_argument("--top", type=int, default=8, help="patterns listed for misses and false cards")
    parser.add_argument("--show", choices=("misses", "false"), help="list every miss or false card")
    args = parser.parse_args(argv)
    scores = score_all(args.labels, args.notes)
    if not scores:
        print(f"no labels under {args.labels}", file=sys.stderr)
        return 1
    report(scores, args.top, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
