"""The units the extraction benchmark is labelled and scored on: every list item and every table body row.

Run as `python -m tests.corpus.candidates FILE…` to print one candidate a line as JSON
(`file`, `line`, `kind`, `text`); the labels in `tests/corpus/labels/` are keyed by file and line.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from markdown_it import MarkdownIt


@dataclass(frozen=True)
class Candidate:
    file: str  # path relative to the corpus root, with forward slashes
    line: int  # 1-based line where the item or row starts
    kind: str  # "item" or "row"
    text: str  # that line as written, trimmed


def _front_matter_lines(lines: list[str]) -> int:
    """How many lines a leading YAML front matter block takes (0 when there is none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return index + 1
    return 0


def candidates(text: str, file: str) -> Iterator[Candidate]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    skip = _front_matter_lines(lines)
    body = "\n" * skip + "\n".join(lines[skip:])
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    in_body = False
    for token in tokens:
        if token.type == "tbody_open":
            in_body = True
        elif token.type == "tbody_close":
            in_body = False
        start = token.map[0] if token.map else None
        if start is None:
            continue
        if token.type == "list_item_open":
            yield Candidate(file, start + 1, "item", lines[start].strip())
        elif token.type == "tr_open" and in_body:
            yield Candidate(file, start + 1, "row", lines[start].strip())


def main(argv: list[str]) -> None:
    for name in argv:
        path = Path(name)
        for candidate in candidates(path.read_text(encoding="utf-8-sig"), path.as_posix()):
            print(json.dumps(asdict(candidate), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
