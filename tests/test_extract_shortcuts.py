"""The extractor's quick paths give what the longer way gives: each is checked against the general code."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from dva_cards import definitions, term_rules
from dva_cards.extract import _dedent, _leading_columns

LINK_PIECES = st.text(alphabet="ab Z9é(#/.:_*`\\-][)~?=%+<&!\n", max_size=8)
SCHEMES = st.sampled_from(["", "http://", "https://", "javascript:", "file:", "mailto:"])


def _inline_reads_one_link(markdown: str) -> bool:
    top = [
        child.type
        for child in definitions.inline_children(markdown)
        if child.level == 0 and (child.type != "text" or child.content)
    ]
    return top == ["link_open", "link_close"]


@settings(max_examples=3000)
@given(LINK_PIECES, SCHEMES, LINK_PIECES)
def test_a_link_taken_as_plain_is_one_link_to_the_inline_parser(label: str, scheme: str, target: str) -> None:
    markdown = f"[{label}]({scheme}{target})"
    if definitions._PLAIN_LINK.fullmatch(markdown):
        assert _inline_reads_one_link(markdown)


def test_navigation_links_take_the_quick_path() -> None:
    for markdown in ("[AWS CloudShell](#aws-cloudshell)", "[Docs](https://docs.example.com/a/b?x=1)"):
        assert definitions._PLAIN_LINK.fullmatch(markdown)
        assert definitions._confirmed(markdown, "link")
    for markdown in ("[a](javascript:alert)", "[**b**](#b)", "[a](<b c>)", "[a](b 'title')"):
        assert not definitions._PLAIN_LINK.fullmatch(markdown)


def _dedent_by_columns(block: list[str]) -> list[str]:
    """The general dedent: indentation measured in columns, tabs to multiples of 4."""
    measured = [_leading_columns(line) for line in block]
    cut = min((width for width, rest in measured if rest), default=0)
    if cut == 0:
        return block
    return ["" if not rest else " " * (width - cut) + rest for width, rest in measured]


@given(st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["", "x", "- y", "  z", " "])), max_size=6))
def test_space_indented_blocks_dedent_as_by_columns(rows: list[tuple[int, str]]) -> None:
    block = [" " * indent + rest for indent, rest in rows]
    assert _dedent(block) == _dedent_by_columns(block)


def test_a_tab_indented_block_still_counts_tab_columns() -> None:
    assert _dedent(["\t- a", "\t\t- b"]) == ["- a", "    - b"]


@given(st.text(alphabet="ab ()\t\n.-漢字é", max_size=20))
def test_word_count_of_ascii_terms_counts_words_outside_parentheses(term: str) -> None:
    if term.isascii():
        assert term_rules.word_count(term) == len(re.sub(r"\([^()]*\)", " ", term).split())
    else:
        assert term_rules.word_count(term) >= 0


@settings(max_examples=2000)
@given(st.lists(st.sampled_from(["a", "B", " ", "or", "and", "vs", "vs.", "o", "y", ",", ";", "、", "é"])))
def test_the_list_separator_search_finds_every_split(pieces: list[str]) -> None:
    text = "".join(pieces)
    splits = len([part for part in term_rules._LIST_SPLIT.split(text) if part]) >= 2
    assert not splits or term_rules._LIST_SEPARATOR.search(text)


def test_name_lists_are_still_told_from_sentences() -> None:
    assert term_rules._is_name_list("Blob, Queue, Table, File")
    assert term_rules._is_name_list("Premium vs. Standard")
    assert not term_rules._is_name_list("stores objects in buckets")
