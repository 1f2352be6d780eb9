"""The stats screen in the terminal: tables, bar charts and a calendar heatmap from `stats.Stats`, as Rich Text.

Every piece of note text (deck names, sections, fronts, paths) goes into `rich.text.Text`, never into markup,
so `[red]x[/]` in a note prints literally. Shading never relies on colour alone: the heatmap and the bars use
distinct glyphs, so NO_COLOR shows the same picture. The screen is laid out line by line for the console's
width: numbers keep their width, free text is cut with an ellipsis and never wrapped, so an 80-column terminal
gets clean lines. (Plain lines instead of `rich.table`: the same look for a fraction of the time.)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from .humanize import duration
from .neutral import neutral_text
from .stats import HEATMAP_WEEKS, LOW_EASE, Bar, DeckCounts, Heatmap, Rate, Stats

BLOCKS = " ▏▎▍▌▋▊▉█"  # eighths of a character cell, for smooth bars
HEAT_GLYPHS = ("·", "░", "▒", "▓", "█")  # no answers, then four levels of activity
HEAT_STYLES = ("dim", "green4", "green3", "green1", "bold bright_green")
WEEKDAY_LABELS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_FORECAST_ROWS = 31  # longer forecasts are drawn a week per row
SECTION_ROWS = 10
MAX_BAR = 40
MIN_TEXT = 6  # a text column is never cut narrower
GAP = "  "  # between table columns

Lines = list[Text]


def render(stats: Stats, console: Console) -> None:
    """Print the whole stats screen."""
    width = max(40, console.width)
    lines = [
        _title(stats),
        *_today(stats),
        *_collection(stats, width),
        *_forecast(stats, width),
        *_heatmap(stats.heatmap, width),
        *_retention(stats, width),
        *_sections(stats, width),
        *_recall(stats, width),
        *_hardest(stats, width),
        *_distributions(stats, width),
    ]
    screen = Text("\n").join(lines)
    # Deck, section and file names come from the learner's files: control characters in them become U+FFFD,
    # one character for one, so every style span stays where it was.
    screen.plain = neutral_text(screen.plain)
    # Lines are already cut to the width; `crop` only guards the promise never to wrap.
    console.print(screen, no_wrap=True, overflow="crop", crop=True)


# -- pieces -------------------------------------------------------------------------------------------------------


def _title(stats: Stats) -> Text:
    title = Text("dva-cards stats", style="bold")
    title.append(" · ")
    title.append(stats.deck if stats.deck is not None else "all decks")
    title.append(f" · {stats.window.today.isoformat()}", style="dim")
    return title


def _heading(text: str, note: str = "") -> Lines:
    heading = Text()
    heading.append(text, style="bold underline")
    if note:
        heading.append("  " + note, style="dim")
    return [Text(""), heading]


def _today(stats: Stats) -> Lines:
    today = stats.today
    due = Text()
    due.append(f"{today.due_review} review", style="bold" if today.due_review else "")
    due.append(f" · {today.new_available} new · {today.due_drill} drill")
    done = Text(f"{today.reviewed} answer{_s(today.reviewed)}")
    done.append(f" on {today.cards_reviewed} card{_s(today.cards_reviewed)}")
    if today.new_seen:
        done.append(f" ({today.new_seen} new)")
    if today.cram:
        done.append(f" · {today.cram} cram")
    streak = stats.streak
    run = Text(f"{streak.current} day{_s(streak.current)}")
    if streak.current and not streak.studied_today:
        run.append(" (review today to keep it)", style="dim")
    run.append(f" · longest {streak.longest} day{_s(streak.longest)}")
    rows = (
        ("due now", due),
        ("reviewed today", done),
        ("time today", Text(duration(today.time_ms))),
        ("streak", run),
    )
    label_width = max(len(label) for label, _ in rows) + 2
    lines = []
    for label, value in rows:
        line = Text()
        line.append(label.ljust(label_width), style="bold")
        lines.append(line.append_text(value))
    return [*_heading("Today"), *lines]


def _collection(stats: Stats, width: int) -> Lines:
    if not stats.decks:
        return [
            *_heading("Collection"),
            Text("no cards yet: `dva-cards import NOTES.md` makes cards", style="dim"),
        ]
    headers = ["deck", "new", "learn", "young", "mature", "susp", "retired", "leech", "due", "total"]
    rows = [
        [Text(counts.deck or ""), *(Text(cell) for cell in _deck_cells(counts))] for counts in stats.decks
    ]
    if len(rows) != 1:
        rows.append(
            [Text("total", style="bold"), *(Text(cell, style="bold") for cell in _deck_cells(stats.total))]
        )
    note = Text("learn: reps < 2 · young: interval < 21 d · leeches are also in other columns", style="dim")
    return [*_heading("Collection"), *table_lines(width, headers, rows, text_columns={0}), note]


def _deck_cells(counts: DeckCounts) -> list[str]:
    values = (
        counts.new, counts.learning, counts.young, counts.mature, counts.suspended, counts.retired,
        counts.leeches, counts.due, counts.total,
    )  # fmt: skip
    return [str(value) for value in values]


def _forecast(stats: Stats, width: int) -> Lines:
    days = stats.forecast.days
    rows: list[tuple[str, int]]
    if len(days) <= MAX_FORECAST_ROWS:
        rows = forecast_day_rows(days, stats.window.today)
        unit = "day"
    else:
        rows = []
        for start in range(0, len(days), 7):
            week = days[start : start + 7]
            first = week[0][0]
            rows.append((f"from {first.month:02d}-{first.day:02d}", sum(count for _, count in week)))
        unit = "week"
    overdue = f"(today includes {stats.forecast.overdue} overdue)" if stats.forecast.overdue else ""
    heading = _heading(f"Forecast: cards due per {unit}, next {stats.window.days} days", overdue)
    if not stats.forecast.total:
        return [*heading, Text("nothing due", style="dim")]
    return [*heading, *bar_lines(rows, width)]


def forecast_day_rows(days: Sequence[tuple[date, int]], today: date) -> list[tuple[str, int]]:
    """One row a day, except that a run of two or more days with nothing due is one row, `Thu 12-03 – Wed 12-30`:
    a young collection's forecast is mostly empty days, which say nothing one per line."""
    rows: list[tuple[str, int]] = []
    index = 0
    while index < len(days):
        day, count = days[index]
        end = index
        while count == 0 and end + 1 < len(days) and days[end + 1][1] == 0:
            end += 1
        if end > index:
            rows.append((f"{_day_label(day, today)} – {_day_label(days[end][0], today)}", 0))
        else:
            rows.append((_day_label(day, today), count))
        index = end + 1
    return rows


def _day_label(day: date, today: date) -> str:
    if day == today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"{WEEKDAYS[day.weekday()]} {day.month:02d}-{day.day:02d}"


def bar_lines(rows: Sequence[tuple[str, int]], width: int) -> Lines:
    """One line per row: label, a bar scaled to the largest count, the count. Never wider than `width`."""
    if not rows:
        return [Text("nothing to show", style="dim")]
    label_width = max(len(label) for label, _ in rows)
    count_width = max(len(str(count)) for _, count in rows)
    room = max(1, min(MAX_BAR, width - label_width - count_width - 3))
    top = max(count for _, count in rows)
    lines = []
    for label, count in rows:
        line = Text(label.ljust(label_width) + " ")
        line.append(_bar(count, top, room).ljust(room), style="cyan")
        line.append(" " + str(count).rjust(count_width))
        lines.append(line)
    return lines


def _bar(count: int, top: int, room: int) -> str:
    """A bar of `count` against `top` in `room` cells, in eighths (integer arithmetic); a nonzero count shows."""
    if top <= 0 or count <= 0:
        return ""
    eighths = max(1, count * room * 8 // top)
    return "█" * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


def heat_thresholds(counts: Sequence[int]) -> tuple[int, int, int]:
    """Upper bounds of levels 1-3 (quartiles of the days with answers); level 4 is above the third."""
    active = sorted(count for count in counts if count > 0)
    if not active:
        return (0, 0, 0)
    n = len(active)
    first, second, third = (active[(n * k - 1) // 4] for k in (1, 2, 3))
    return first, second, third


def heat_level(count: int | None, thresholds: tuple[int, int, int]) -> int:
    if count is None or count <= 0:
        return 0
    for level, bound in enumerate(thresholds, start=1):
        if count <= bound:
            return level
    return 4


def _heatmap(heatmap: Heatmap, width: int) -> Lines:
    days = f"{heatmap.active_days} day{_s(heatmap.active_days)}"
    heading = _heading("Reviews, last 52 weeks", f"{heatmap.total} answers on {days}, most {heatmap.max}")
    label_width = 4
    weeks = heatmap.weeks[-max(1, min(HEATMAP_WEEKS, width - label_width)) :]
    first_monday = heatmap.start + timedelta(weeks=len(heatmap.weeks) - len(weeks))
    thresholds = heat_thresholds(heatmap.counts)
    lines = [_month_row(first_monday, len(weeks), label_width)]
    for weekday in range(7):
        line = Text()
        line.append(WEEKDAY_LABELS[weekday].ljust(label_width), style="dim")
        # Runs of equal cells become one span each: far fewer segments for Rich to render.
        run, run_level = "", -1
        for week in weeks:
            count = week[weekday]
            level = -1 if count is None else heat_level(count, thresholds)
            if level != run_level and run:
                line.append(run, style=HEAT_STYLES[run_level] if run_level >= 0 else "")
                run = ""
            run_level = level
            run += " " if level < 0 else HEAT_GLYPHS[level]
        if run:
            line.append(run, style=HEAT_STYLES[run_level] if run_level >= 0 else "")
        lines.append(line)
    legend = Text()
    legend.append(" " * label_width + "less ", style="dim")
    for level, glyph in enumerate(HEAT_GLYPHS):
        legend.append(glyph, style=HEAT_STYLES[level])
    legend.append(" more", style="dim")
    if heatmap.active_days:
        legend.append(f"   ({heat_legend(thresholds, heatmap.max)})", style="dim")
    return [*heading, *lines, legend]


def heat_legend(thresholds: tuple[int, int, int], most: int) -> str:
    """What each shade stands for, only the shades in use: `░ 1-5 answers` for a single day of 5 answers,
    `░ 1-3 · ▒ 4-6 · ▓ 7-9 · █ 10-24 answers` with a year of them."""
    parts = []
    low = 1
    for glyph, high in zip(HEAT_GLYPHS[1:], (*thresholds, most), strict=True):
        high = min(high, most)
        if high >= low:
            parts.append(f"{glyph} {low}" if high == low else f"{glyph} {low}-{high}")
            low = high + 1
    return " · ".join(parts) + f" answer{_s(most)} a day"


def _month_row(first_monday: date, weeks: int, label_width: int) -> Text:
    """Month names over the week where each month's first Monday falls, when there is room for them."""
    starts: list[tuple[int, int]] = []  # (column, month)
    for index in range(weeks):
        month = (first_monday + timedelta(weeks=index)).month
        if not starts or starts[-1][1] != month:
            starts.append((index, month))
    row = " " * label_width
    for position, (index, month) in enumerate(starts):
        name = MONTHS[month - 1]  # not strftime: the screen must not depend on the locale
        following = starts[position + 1][0] if position + 1 < len(starts) else weeks + 1
        column = len(row) - label_width
        if index >= column and index + len(name) < following and index + len(name) <= weeks:
            row += " " * (index - column) + name
    return Text(row, style="dim")


def _retention(stats: Stats, width: int) -> Lines:
    retention = stats.retention
    rows = [
        [Text(label), Text(percent(rate)), Text(str(rate.passed)), Text(str(rate.reviews))]
        for label, rate in (
            ("young (< 21 d)", retention.young),
            ("mature", retention.mature),
            ("all", retention.total),
        )
    ]
    return [
        *_heading(f"Retention, last {stats.window.days} days", "due reviews graded 3 or more"),
        *table_lines(width, ["cards", "retention", "passed", "reviews"], rows, text_columns={0}),
    ]


def _sections(stats: Stats, width: int) -> Lines:
    heading = _heading(
        "Weak areas by section", f"due reviews of the last {stats.window.days} days, weakest first"
    )
    if not stats.sections:
        return [*heading, Text("no due reviews in this window yet", style="dim")]
    rows = [
        [Text(section.name), Text(percent(section.retention)), Text(str(section.retention.reviews)),
         Text(str(section.lapses))]
        for section in stats.sections[:SECTION_ROWS]
    ]  # fmt: skip
    lines = [
        *heading,
        *table_lines(width, ["section", "retention", "reviews", "lapses"], rows, text_columns={0}),
    ]
    if len(stats.sections) > SECTION_ROWS:
        lines.append(Text(f"{len(stats.sections) - SECTION_ROWS} more sections in --json", style="dim"))
    return lines


def _recall(stats: Stats, width: int) -> Lines:
    recall = stats.recall
    heading = _heading("Predicted recall today", "FSRS's chance you would recall each card now")
    if recall.mean is None:
        return [*heading, Text("no card answered yet", style="dim")]
    summary = Text(f"{recall.mean:.1%} on average over {recall.cards} cards · ")
    summary.append(f"{recall.below} below", style="bold" if recall.below else "")
    summary.append(f" the desired retention {recall.desired_retention:.0%}")
    rows = [
        [Text(section.name), Text(f"{section.mean:.1%}"), Text(str(section.cards))]
        for section in recall.sections[:SECTION_ROWS]
    ]
    lines = [*heading, summary, *table_lines(width, ["section", "recall", "cards"], rows, text_columns={0})]
    if len(recall.sections) > SECTION_ROWS:
        lines.append(Text(f"{len(recall.sections) - SECTION_ROWS} more sections in --json", style="dim"))
    return lines


def _hardest(stats: Stats, width: int) -> Lines:
    heading = _heading("Hardest cards", f"with lapses or ease below {ease_text(LOW_EASE)}: most lapses first")
    if not stats.hardest:
        return [
            *heading,
            Text(f"none: no card has lapsed or fallen below ease {ease_text(LOW_EASE)}", style="dim"),
        ]
    rows = []
    for card, _deck in stats.hardest:
        front = Text(" ".join(card.front.split()))
        if card.leech:
            front.append(" (leech)", style="dim")
        if card.suspended:
            front.append(" (suspended)", style="dim")
        where = Text(f"{Path(card.source).name}:{card.line}")
        rows.append([front, Text(str(card.lapses)), Text(ease_text(card.ease)), where])
    # The source keeps its end (the line number) when it has to be cut.
    headers = ["card", "lapses", "ease", "source"]
    return [*heading, *table_lines(width, headers, rows, text_columns={0, 3}, keep_end={3})]


def _distributions(stats: Stats, width: int) -> Lines:
    heading = _heading("Ease and intervals of learned cards")
    if not stats.ease:
        return [*heading, Text("no learned cards yet", style="dim")]
    half = max(20, (width - len(GAP)) // 2)
    left = [
        Text("ease", style="bold"),
        *bar_lines([(ease_text(bar.low), bar.cards) for bar in stats.ease], half),
    ]
    right = [
        Text("interval (days)", style="bold"),
        *bar_lines([(interval_label(bar), bar.cards) for bar in stats.intervals], half),
    ]
    lines = []
    for index in range(max(len(left), len(right))):
        line = left[index].copy() if index < len(left) else Text("")
        line.pad_right(half - line.cell_len)
        if index < len(right):
            line.append(GAP)
            line.append_text(right[index])
        lines.append(line)
    return [*heading, *lines]


def table_lines(
    width: int,
    headers: Sequence[str],
    rows: Sequence[Sequence[Text]],
    *,
    text_columns: set[int],
    keep_end: set[int] | None = None,
) -> Lines:
    """A table as lines at most `width` wide: numbers keep their width, the text columns share what is left
    (the widest gives way first) and are cut with an ellipsis (at the start for `keep_end`), never wrapped."""
    widths = [
        max([cell_len(header), *(row[index].cell_len for row in rows)])
        for index, header in enumerate(headers)
    ]
    while sum(widths) + len(GAP) * (len(headers) - 1) > width:
        widest = max(text_columns, key=lambda index: widths[index])
        if widths[widest] <= MIN_TEXT:
            break
        widths[widest] -= 1
    header = Text(
        GAP.join(_fit(Text(h), widths[i], i not in text_columns).plain for i, h in enumerate(headers))
    )
    header.stylize("bold")
    lines = [header, Text("─" * (sum(widths) + len(GAP) * (len(headers) - 1)), style="dim")]
    for row in rows:
        line = Text()
        for index, cell in enumerate(row):
            if index:
                line.append(GAP)
            if keep_end and index in keep_end:
                cell = _cut_start(cell, widths[index])
            line.append_text(_fit(cell, widths[index], index not in text_columns))
        lines.append(line)
    return lines


def _fit(cell: Text, width: int, right: bool) -> Text:
    """`cell` exactly `width` cells wide: cut with an ellipsis, padded on the right (or left, for numbers)."""
    cell = cell.copy()
    if cell.cell_len > width:
        cell.truncate(width, overflow="ellipsis")
    if right:
        cell.pad_left(width - cell.cell_len)
    else:
        cell.pad_right(width - cell.cell_len)
    return cell


def _cut_start(text: Text, width: int) -> Text:
    if text.cell_len <= width:
        return text
    plain = text.plain
    while cell_len(plain) > width - 1:
        plain = plain[1:]
    return Text("…" + plain, style=text.style)


# -- formatting ---------------------------------------------------------------------------------------------------


def percent(rate: Rate) -> str:
    """A rate as a percentage with one decimal, by integer arithmetic (rounded half up); "-" without data."""
    if rate.reviews == 0:
        return "-"
    tenths = (rate.passed * 2000 + rate.reviews) // (2 * rate.reviews)
    return f"{tenths // 10}.{tenths % 10}%"


def ease_text(ease: int) -> str:
    """Thousandths as an EF: 2500 -> 2.50."""
    return f"{ease // 1000}.{ease % 1000 // 10:02d}"


def interval_label(bar: Bar) -> str:
    if bar.high is None:
        return f"{bar.low}+"
    if bar.high == bar.low:
        return str(bar.low)
    return f"{bar.low}-{bar.high}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
