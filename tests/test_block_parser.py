"""A text's block parser leaves out only rules that find nothing in it: the tokens are those of the full
parser, whatever the text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dva_cards.block_parser import block_parser
from dva_cards.definitions import parser

LEFT_OUT = {"lheading", "hr", "blockquote", "fence", "table"}


def _same_tokens(text: str) -> None:
    assert block_parser(text).parse(text, {}) == parser().parse(text, {})


def _active(text: str) -> set[str]:
    return set(block_parser(text).block.ruler.get_active_rules())


def test_notes_without_those_blocks_are_parsed_without_their_rules() -> None:
    text = "# EC2\n* **EC2** - virtual machines\n  * *AMI* - an image (1 -> 2)\n\nSome prose - a dash -\n"
    assert not _active(text) & LEFT_OUT
    assert _active(text) >= {"list", "paragraph", "heading", "code"}
    _same_tokens(text)


# Each construct, where container markers put it, with the rule that reads it.
CONSTRUCTS = [
    ("Title\n=====\n", "lheading"),
    ("Title\n---\n", "lheading"),
    ("- item\n  text\n  ---\n", "lheading"),
    ("> quoted\n> ===\n", "lheading"),
    ("> - item\n>   text\n>   ---\n", "lheading"),
    ("1. item\n\t===\n", "lheading"),
    ("text\n\n***\n", "hr"),
    ("text\n\n* * *\n", "hr"),
    ("text\n\n_ _ _  \n", "hr"),
    ("- ***\n", "hr"),
    ("1. - ---\n", "hr"),
    ("> ___\n", "hr"),
    ("> quote\n", "blockquote"),
    ("- > quote in an item\n", "blockquote"),
    ("1) >quote\n", "blockquote"),
    ("* - 10. > deep\n", "blockquote"),
    ("text\n>lazy\n", "blockquote"),
    ("```\ncode\n```\n", "fence"),
    ("- item\n\n  ~~~~\n  code\n  ~~~~\n", "fence"),
    ("| Term | Definition |\n|---|---|\n| a | b |\n", "table"),
    ("- a | b\n  --|--\n  c | d\n", "table"),
]


@pytest.mark.parametrize(("text", "rule"), CONSTRUCTS)
def test_a_rule_is_kept_wherever_its_block_may_open(text: str, rule: str) -> None:
    assert rule in _active(text)
    _same_tokens(text)
    _same_tokens(f"# Notes\n* **Term** - answer\n\n{text}\n* **Other** - answer\n")


FRAGMENTS = st.sampled_from(
    ["* ", "- ", "+ ", "1. ", "2) ", "  ", "    ", "\t", ">", "> ", "**", "*", "_", "__", "-", "---", "***",
     "___", "* * *", "=", "===", "`", "```", "~~~", "|", "| a | b |\n|---|---|\n", ":", "Term", "answer",
     "# ", "## ", "[x]: /u\n", "<div>", "<!--", "-->", "\n", "\n", "\n", "\n\n", " - ", "->", "=>", "é"]
)  # fmt: skip


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.lists(FRAGMENTS, max_size=40).map("".join))
def test_any_text_gives_the_full_parsers_tokens(text: str) -> None:
    _same_tokens(text)
