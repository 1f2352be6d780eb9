"""The markdown-it parser for one text's blocks: without the block rules that cannot fire anywhere in it. Pure.

markdown-it tries its block rules in turn at nearly every line, and at every line of a paragraph or list item
again, to see whether something ends it (each try also makes a `logging.debug` call): most of its time goes
to rules that find nothing. A rule whose opening cannot occur anywhere in the text (a setext underline, a
thematic break, a `>`, a fence, a table's `|`) is left out of its parser. The tokens are the same: such a
rule, tried, returns False without changing anything (the setext rule leaves the state's parent type set to
`paragraph`, but the paragraph rule that always follows it sets that, and every rule reading it sets it
first). Each test below is a superset of where its rule could fire: it may keep a rule for nothing, never
drop one that would fire.

Where a rule looks, on a line: after the line's container markers, that is spaces and tabs, blockquote `>`
and, on a list item's first line, list markers (`-`, `*`, `+`, `1.`, `1)`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING

from .definitions import new_parser, parser

if TYPE_CHECKING:  # imported by `definitions.new_parser` when text is parsed
    from markdown_it import MarkdownIt


def _some_line(pattern: str) -> Callable[[str], bool]:
    """Whether a line of the text matches `pattern` from its start. Searched for after each newline, so the
    regular expression engine scans for the newline alone, many times faster than a multiline `^`."""
    first, after_newline = re.compile(pattern), re.compile(f"\n(?:{pattern})")
    return lambda text: first.match(text) is not None or after_newline.search(text) is not None


def _line_end(pattern: str) -> Callable[[str], bool]:
    """Whether some line of the text ends with `pattern` (spaces and tabs after it)."""
    expression = re.compile(f"(?:{pattern})[ \t]*(?:\n|\\Z)")
    return lambda text: expression.search(text) is not None


_MARKERS = r"[ \t>]*"  # in front of a line's blocks after its first: spaces, tabs, blockquote markers
_ITEM_MARKERS = r"[ \t>*+\-.)0-9]*"  # also list markers, on a list item's first line
_HR = [_line_end(rf"{mark}[ \t]*{mark}[ \t]*{mark}") for mark in (r"\*", "-", "_")]

# Each rule that may be left out, and whether it may fire in a text. Written `==*` rather than `=+`: the
# same language, matched several times faster.
_MAY_FIRE: dict[str, Callable[[str], bool]] = {
    # a setext heading's underline: a line after the heading's first, all `=` or all `-`
    "lheading": _some_line(rf"{_MARKERS}(?:==*|--*)[ \t]*(?:\n|\Z)"),
    # a thematic break: the rest of a line, three or more of one of `*`, `-`, `_`, spaces between
    "hr": lambda text: any(ends(text) for ends in _HR),
    "blockquote": _some_line(f"{_ITEM_MARKERS}>"),
    "fence": lambda text: "```" in text or "~~~" in text,
    "table": lambda text: "|" in text,  # a table's header row holds a `|`
}


def block_parser(text: str) -> MarkdownIt:
    """A parser giving the tokens `parser()` gives for `text`, without the rules that find nothing in it."""
    return _parser_without(frozenset(rule for rule, may_fire in _MAY_FIRE.items() if not may_fire(text)))


@cache  # one per set of rules left out: at most 2 ** len(_MAY_FIRE)
def _parser_without(rules: frozenset[str]) -> MarkdownIt:
    if not rules:
        return parser()
    md = new_parser()
    md.block.ruler.disable(sorted(rules))
    return md
