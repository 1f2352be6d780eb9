"""Markdown to plain text for listings."""

from __future__ import annotations

from dva_cards.plain_text import first_line_plain, strip_markdown


def test_inline_markup_goes_words_stay() -> None:
    assert strip_markdown("**Auto Scaling Groups** - a *group* of `EC2` instances") == (
        "Auto Scaling Groups - a group of EC2 instances"
    )
    assert (
        strip_markdown("see [the docs](https://x.io) and <https://y.io>") == "see the docs and https://y.io"
    )
    assert strip_markdown("`a*b*c` stays, snake_case_name stays, 2 * 3 * 4 stays") == (
        "a*b*c stays, snake_case_name stays, 2 * 3 * 4 stays"
    )
    assert strip_markdown("***both*** and __strong__ and _em_ and \\*literal\\*") == (
        "both and strong and em and *literal*"
    )


def test_first_line_and_bullets() -> None:
    assert first_line_plain("* **Compliance** - rules\n* **Proximity** - latency") == "• Compliance - rules …"
    assert first_line_plain("\n\nonly line\n") == "only line"
    assert first_line_plain("") == ""
