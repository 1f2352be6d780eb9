"""Stored contexts: `join_context` escapes a `›` inside a part, so every separator of a stored context is one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dva_cards.identity import CONTEXT_SEPARATOR, context_parts, join_context

_parts = st.lists(st.text(alphabet="ab ›\\", max_size=6), max_size=4)


@given(_parts)
def test_a_part_s_separator_mark_is_escaped_and_no_other_text_changes(parts: list[str]) -> None:
    escaped = [part.replace("›", "\\›") for part in parts]
    assert join_context(tuple(parts)) == CONTEXT_SEPARATOR.join(escaped)


def test_headings_holding_the_separator_are_not_split_when_read_back() -> None:
    assert join_context(("A › B",)) != join_context(("A", "B"))
    assert context_parts(join_context(("A › B", "C"))) == ("A › B", "C")
