"""The review screen as a pure function: view state in, screen lines out; no terminal, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dva_cards.review_screen import (
    MAX_ANSWER_CHARS,
    CardView,
    Counts,
    answer_lines,
    grade_row,
    header,
    render,
    render_plain,
)
from tests.golden import assert_golden

BACK = """* have codes like us-east-1
* a cluster of data centers
* how to choose a region:
    * **Compliance** - data governance, legal requirements
    * **Proximity** - closer to customers means lower latency"""
PREVIEW = {0: 0, 1: 0, 2: 0, 3: 0, 4: 1, 5: 1}


def card(width: int = 80, height: int = 24, **changes: object) -> CardView:
    view = CardView(
        deck="aws-dva", context="AWS Global Infrastructure", front="Regions", back=BACK,
        counts=Counts(19, 3, 1), width=width, height=height, preview=PREVIEW, color=False,
    )  # fmt: skip
    return replace(view, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("width", "height"), [(80, 24), (120, 40)])
def test_golden_before_and_after_reveal(width: int, height: int) -> None:
    before = render_plain(card(width, height))
    after = render_plain(card(width, height, revealed=True, messages=("4: next in 1d (2026-03-11).",)))
    assert "Compliance" not in before and "0 blackout" not in before
    assert (
        "Compliance" in after
        and "0 blackout · 1 wrong · 2 almost · 3 hard today · 4 good 1d · 5 easy 1d" in after
    )
    assert_golden(f"review/before-reveal-{width}x{height}.txt", before)
    assert_golden(f"review/after-reveal-{width}x{height}.txt", after)


@pytest.mark.parametrize(("width", "height"), [(40, 10), (80, 24), (120, 40)])
def test_every_line_fits_and_the_screen_never_overflows(width: int, height: int) -> None:
    for view in (
        card(width, height),
        card(width, height, revealed=True),
        card(width, height, show_keys=True),
    ):
        lines = render(view)
        assert len(lines) == height
        assert all(line.cell_len <= width for line in lines)


def test_header_cuts_the_context_from_the_left_so_the_counters_fit() -> None:
    context = " › ".join(["A very long heading"] * 10)  # ~200 characters
    for width in (40, 80, 120):
        line = header("aws-dva", context, Counts(12, 345, 6), width).plain
        assert len(line) == width
        assert line.startswith("…") and line.endswith("12 new · 345 review · 6 drill")
        assert line.split("  ")[0].endswith("heading")  # the end of the path, nearest the card, is kept
    short = header("aws-dva", "EC2", Counts(cram_left=4), 80).plain
    assert short.startswith("aws-dva › EC2 ") and short.endswith("cram · 4 left")


def test_a_tall_answer_is_paged_with_the_front_and_header_kept() -> None:
    back = "\n".join(f"* line {number:02d}" for number in range(1, 61))
    view = card(80, 24, back=back, revealed=True)
    top = [line.plain for line in render(view)]
    assert top[0].startswith("aws-dva › ") and top[2] == "Regions"
    assert "line 01" in top[4] and not any("line 60" in line for line in top)
    [indicator] = [line for line in top if line.startswith("↓ ")]
    assert indicator.startswith("↓ 44 more lines")  # 16 of 60 lines shown
    bottom = [line.plain for line in render(replace(view, scroll=10_000))]
    assert bottom[2] == "Regions" and any("line 60" in line for line in bottom)
    assert any("↑ 44 above" in line for line in bottom)


def test_a_long_front_is_cut_not_pushing_everything_off() -> None:
    lines = [line.plain for line in render(card(80, 24, front="word " * 500, revealed=True))]
    assert len(lines) == 24 and lines[0].startswith("aws-dva")
    assert lines[9].endswith("…")  # a third of the screen for the front at most (24 // 3 = 8 lines)
    assert "have codes like us-east-1" in "\n".join(lines)


def test_a_huge_answer_is_cut_for_display_with_a_note() -> None:
    back = "x" * 20_000_000  # one 20 MB line
    lines = answer_lines(back, 80, False)
    assert "answer cut for display: 20,000,000 characters" in lines[-1].plain
    assert sum(len(line.plain) for line in lines[:-1]) <= MAX_ANSWER_CHARS
    screen = render(card(80, 24, back=back, revealed=True))
    assert len(screen) == 24


def test_too_small_says_so() -> None:
    for width, height in ((30, 24), (80, 6), (12, 3)):
        text = " ".join(line.plain for line in render(card(width, height, revealed=True)))
        assert "too small" in text and "Regions" not in text
        assert all(len(line.plain) <= width for line in render(card(width, height)))


def test_grade_row_is_named_and_shortened_to_fit() -> None:
    wide = {0: 0, 1: 0, 2: 0, 3: 0, 4: 150, 5: 3650}
    assert (
        grade_row(wide, 120).plain
        == "0 blackout · 1 wrong · 2 almost · 3 hard today · 4 good 4.9mo · 5 easy 10.0y"
    )
    at_80 = grade_row(wide, 80).plain
    assert len(at_80) <= 80 and "blackout" in at_80 and "4.9mo" in at_80
    narrow = grade_row(wide, 40).plain
    assert len(narrow) <= 40 and narrow.startswith("0  1  2  3 today  4 4.9mo")


def test_hint_follows_the_state() -> None:
    before = render_plain(card()).splitlines()[-1]
    after = render_plain(card(revealed=True)).splitlines()[-1]
    assert before.startswith("space show the answer") and "0-5" not in before
    assert after.startswith("0-5 grade") and "u undo" in after and "q quit" in after
    keys = render_plain(card(show_keys=True))
    assert "3 hard, serious effort" in keys and "$VISUAL or $EDITOR" in keys


def test_the_log_header_keeps_a_space_between_a_long_context_and_the_counters() -> None:
    """Without a terminal the header wraps a long context; it never runs into the counters."""
    from rich.console import Console

    from dva_cards.review import log_header

    view = CardView(
        deck="aws-dva",
        context="AWS Global Infrastructure › Regions and Availability Zones",
        front="Regions",
        back="x",
        counts=Counts(new=10, exam="exam in 45 days"),
        width=80,
        height=24,
    )
    console = Console(width=80, record=True, color_system=None)
    console.print(log_header(view))
    first = console.export_text().splitlines()[0]
    assert first.rstrip().endswith("exam in 45 days · 10 new · 0 review · 0 drill")
    assert " exam in 45 days" in first
