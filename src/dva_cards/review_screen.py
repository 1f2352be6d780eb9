"""The full-screen review view. Pure: a view state (card, revealed, scroll, counts, size, messages) -> lines.

The loop in review.py only reads keys and swaps view states; the terminal shell (terminal_screen.py) draws
the lines. Every card gets a fresh screen, so an answer never shares it with the next card's question:

    aws-dva › EC2 › EC2 Purchasing Options              3 new · 12 review · 0 drill   <- header, one line
    ────────────────────────────────────────────────────────────────────────────
    On-Demand Instances                                                             <- the front, pinned
                                                                                    <- (blank)
    pay by the second, no commitment…                                               <- the answer, paged
    ↓ 12 more lines · j/↓ scroll, k/↑ back                                           <- when some is hidden
                                                                                    <- message line
    0 blackout · 1 wrong · 2 almost · 3 hard 1d · 4 good 6d · 5 easy 6d            <- grades (revealed)
    0-5 grade · u undo · s suspend · b bury · e edit · q quit · ? keys              <- hint for the state

The header's context is cut from the left with `…` so the counters always fit; a front taller than a third of
the screen is cut; an answer longer than MAX_ANSWER_CHARS is cut before rendering, with a note, so a huge
answer never stalls the screen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from rich.console import Console
from rich.markdown import Markdown
from rich.segment import Segment
from rich.text import Text

from .identity import CONTEXT_SEPARATOR
from .neutral import neutral_name
from .scheduler import PASSING_GRADE

MIN_WIDTH = 40
MIN_HEIGHT = 10
MAX_ANSWER_CHARS = 20_000  # ~250 lines at 80 columns: more than anyone reads on one card
MAX_FRONT_CHARS = 2_000
# Above the answer: header, rule, blank after the front; below it: message, grade row, hint.
_CHROME_LINES = 6

GRADE_WORDS = {0: "blackout", 1: "wrong", 2: "almost", 3: "hard", 4: "good", 5: "easy"}


@dataclass(frozen=True)
class Counts:
    """What is left of the session: the three queues, or how many cram cards."""

    new: int = 0
    review: int = 0
    drill: int = 0
    cram_left: int | None = None  # set in cram sessions instead of the three queues
    exam: str | None = None  # "exam in N days" while the session follows an exam plan


@dataclass(frozen=True)
class CardView:
    """Everything the screen shows, as values."""

    deck: str
    context: str
    front: str
    back: str  # markdown
    counts: Counts
    width: int
    height: int
    revealed: bool = False
    scroll: int = 0  # first answer line shown
    preview: dict[int, int] | None = None  # grade -> days until the card shows again; None in cram
    messages: tuple[str, ...] = ()
    show_keys: bool = False  # the key help instead of the answer area
    color: bool = True
    closing: str | None = None  # the end-of-session prompt instead of a card


def render(view: CardView) -> list[Text]:
    """The screen for ``view``: at most ``view.height`` lines, none wider than ``view.width``."""
    width, height = view.width, view.height
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return _too_small(width, height)
    lines: list[Text] = [header(view.deck, view.context, view.counts, width), Text("─" * width, style="dim")]
    if view.closing is not None:
        lines += [Text(""), Text(view.closing, style="bold green")]
        lines += [Text("")] * max(0, height - len(lines) - 2)
        lines += [_message_line(view.messages, width), Text("u undo the last answer · any other key: finish")]
        return [_fit(line, width) for line in lines[:height]]
    front = front_lines(view.front, width, max(1, height // 3))
    lines += front
    lines.append(Text(""))
    room = height - len(lines) - 3  # message, grades, hint
    if view.show_keys:
        body = key_help_lines(width)[:room]
    elif view.revealed:
        body = answer_window(answer_lines(view.back, width, view.color), view.scroll, room)
    else:
        body = []
    lines += body
    lines += [Text("")] * max(0, room - len(body))
    lines.append(_message_line(view.messages, width))
    if view.revealed:
        lines.append(grade_row(view.preview, width))
    else:
        lines.append(Text(""))
    lines.append(Text(hint(view), style="dim"))
    return [_fit(line, width) for line in lines[:height]]


def render_plain(view: CardView) -> str:
    """The screen as plain text, one line each (golden snapshots, the README capture)."""
    return "\n".join(line.plain.rstrip() for line in render(replace(view, color=False))) + "\n"


# -- parts ---------------------------------------------------------------------------------------------------


def header(deck: str, context: str, counts: Counts, width: int) -> Text:
    """`deck › context` on the left, the counters on the right, on one line; the left side loses its start."""
    right = counts_text(counts)
    # Names from outside (a deck, a heading) reach the terminal only neutralised, like note text.
    where = neutral_name(deck + (CONTEXT_SEPARATOR + context if context else ""))
    where = " ".join(where.split())
    room = width - len(right.plain) - 2
    if len(where) > room:
        where = "…" + where[len(where) - room + 1 :] if room > 1 else ""
    line = Text(where, style="bold")
    line.append(" " * (width - len(where) - len(right.plain)))
    line.append_text(right)
    return line


def counts_text(counts: Counts) -> Text:
    if counts.cram_left is not None:
        return Text(f"cram · {counts.cram_left} left", style="magenta")
    return Text.assemble(
        (f"{counts.exam} · ", "yellow") if counts.exam else "",
        (str(counts.new), "blue"), " new · ", (str(counts.review), "green"), " review · ",
        (str(counts.drill), "red"), " drill",
    )  # fmt: skip


def front_lines(front: str, width: int, most: int) -> list[Text]:
    """The question, wrapped, in bold; cut to ``most`` lines with an ellipsis."""
    text = front if len(front) <= MAX_FRONT_CHARS else front[:MAX_FRONT_CHARS]
    wrapped = Text(" ".join(text.split()), style="bold").wrap(_measure_console(width), width)
    lines = list(wrapped)
    if len(lines) > most or len(text) < len(front):
        lines = lines[:most]
        last = lines[-1]
        lines[-1] = _fit(Text(last.plain[: max(0, width - 1)] + "…", style="bold"), width)
    return lines


@lru_cache(maxsize=8)
def answer_lines(back: str, width: int, color: bool = True) -> tuple[Text, ...]:
    """The answer's markdown rendered at ``width``, one Text a line (cached: scrolling re-renders nothing)."""
    back, cut = shown_answer(back)
    note = None if cut is None else Text(cut, style="yellow")
    console = _measure_console(width, color)
    rendered = console.render_lines(Markdown(back), console.options.update(width=width), pad=False)
    lines = [_text_of(line) for line in rendered]
    while lines and not lines[-1].plain.strip():
        lines.pop()
    while lines and not lines[0].plain.strip():
        lines.pop(0)
    if note is not None:
        lines.append(note)
    return tuple(lines)


def shown_answer(back: str) -> tuple[str, str | None]:
    """The part of an answer a screen shows, and the note saying it was cut (None when whole)."""
    if len(back) <= MAX_ANSWER_CHARS:
        return back, None
    note = f"… answer cut for display: {len(back):,} characters in all; the notes file has it whole"
    return back[:MAX_ANSWER_CHARS], note


def answer_window(lines: Sequence[Text], scroll: int, room: int) -> list[Text]:
    """The part of the answer that fits ``room`` lines from ``scroll``, with a line saying what is hidden."""
    if room <= 0:
        return []
    if len(lines) <= room:
        return list(lines)
    top = clamp_scroll(scroll, len(lines), room)
    shown = list(lines[top : top + room - 1])
    above, below = top, len(lines) - top - len(shown)
    parts = []
    if below:
        parts.append(f"↓ {below} more line{'s' if below != 1 else ''}")
    if above:
        parts.append(f"↑ {above} above")
    parts.append("j/↓/space scroll, k/↑ back")
    shown.append(Text(" · ".join(parts), style="reverse"))
    return shown


def clamp_scroll(scroll: int, total: int, room: int) -> int:
    """The first line to show: never past the point where the last line is on screen."""
    if total <= room:
        return 0
    return max(0, min(scroll, total - (room - 1)))


def answer_room(view: CardView) -> int:
    """How many lines the answer gets on this screen (the loop pages by it)."""
    front = front_lines(view.front, view.width, max(1, view.height // 3))
    return max(0, view.height - _CHROME_LINES - len(front))


def grade_row(preview: dict[int, int] | None, width: int) -> Text:
    """`0 blackout · 1 wrong · 2 almost · 3 hard 1d · 4 good 6d · 5 easy 6d`, shortened until it fits."""
    for candidate in grade_rows(preview):
        if len(candidate.plain) <= width:
            return candidate
    return candidate


def grade_rows(preview: dict[int, int] | None) -> list[Text]:
    """The grade row from the most to the least spelt out."""

    def row(names: bool, separator: str, days: bool) -> Text:
        line = Text()
        for quality, word in GRADE_WORDS.items():
            if quality:
                line.append(separator, style="dim")
            line.append(str(quality), style="bold")
            if names:
                line.append(" " + word)
            # A failing grade always means "again today"; a passing one says when.
            if days and preview is not None and quality >= PASSING_GRADE and quality in preview:
                line.append(" " + format_days(preview[quality]), style="cyan")
        if preview is None:
            line.append("  (cram: schedule kept)", style="dim")
        return line

    return [row(True, " · ", True), row(True, "  ", True), row(False, "  ", True), row(False, " ", False)]


def hint(view: CardView) -> str:
    if view.show_keys:
        return "? or Esc: back to the card · any other key acts as usual"
    if not view.revealed:
        return "space show the answer · u undo · s suspend · b bury · e edit · q quit · ? keys"
    return "0-5 grade · u undo · s suspend · b bury · e edit · q quit · ? keys"


def key_help_lines(width: int) -> list[Text]:
    lines = []
    for key, meaning in KEY_HELP:
        lines.append(_fit(Text.assemble((f"{key:<12}", "bold"), meaning), width))
    return lines


KEY_HELP = (
    ("space enter", "show the answer; then the next page of a long answer"),
    ("j k ↓ ↑", "scroll a long answer a line; PgDn PgUp a page"),
    ("0 1 2", "wrong: 0 blackout · 1 knew it on seeing it · 2 almost had it"),
    ("3 4 5", "right: 3 hard, serious effort · 4 good, some hesitation · 5 easy"),
    ("u", "undo the last grade, suspend or bury (again for the one before)"),
    ("s", "suspend this card (out of every session until unsuspended)"),
    ("b", "bury this card until tomorrow"),
    ("e", "edit the note in $VISUAL or $EDITOR at this card, then re-import it"),
    ("q, Ctrl-C", "quit with a summary (Ctrl-Z pauses; fg comes back)"),
)


def format_days(days: int) -> str:
    """A short interval: today, 6d, 1.6mo, 2.1y."""
    if days <= 0:
        return "today"
    if days < 31:
        return f"{days}d"
    if days < 365:
        return f"{days / 30.44:.1f}mo"
    return f"{days / 365.25:.1f}y"


def _too_small(width: int, height: int) -> list[Text]:
    message = f"Terminal too small ({width}×{height}): make it at least {MIN_WIDTH}×{MIN_HEIGHT}. q quits."
    words, lines, line = message.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > max(1, width):
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return [Text(each[: max(0, width)]) for each in lines[: max(0, height)]]


def _message_line(messages: Sequence[str], width: int) -> Text:
    return _fit(Text(" · ".join(messages), style="yellow"), width)


def _fit(line: Text, width: int) -> Text:
    """One screen line: never wider than the screen (cut with an ellipsis), never wrapped."""
    if line.cell_len <= width:
        return line
    cut = line.copy()
    cut.truncate(width, overflow="ellipsis")
    return cut


def _text_of(segments: Sequence[Segment]) -> Text:
    line = Text()
    for segment in segments:
        line.append(segment.text, segment.style)
    return line


def _measure_console(width: int, color: bool = True) -> Console:
    return Console(
        file=io.StringIO(), width=width, color_system="truecolor" if color else None, force_terminal=color,
        no_color=not color, highlight=False, emoji=False, legacy_windows=False,
    )  # fmt: skip
