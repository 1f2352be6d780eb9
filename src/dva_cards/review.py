"""The interactive review loop: the day's session (SM-2 or FSRS), or cram practice that leaves the schedule alone.

Everything it touches is handed in: the store, a clock (``now()``, timezone-aware), a Rich console and a key
reader, so tests drive a whole session with scripted keys and a fixed clock. Each answer is committed (review
row and card state, one transaction) before the next card shows; undo puts back the exact state it replaced.

Keys: Space/Enter reveal · 0-5 grade · u undo · s suspend · b bury until tomorrow · e edit the source line in
$VISUAL/$EDITOR (then re-import the file) · q quit · ? help. Ctrl-C and end of input quit too; every way out
prints the summary.

Two displays show the same session: on a terminal, a full screen a card (review_screen renders a view state,
terminal_screen draws it on the alternate screen); in scripts, a log of plain lines.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import subprocess
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Literal, Protocol

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from . import scheduler, scheduling
from .card_state import CardState, state_of
from .clock import add_days, learner_today
from .domain import ReviewCard
from .errors import CardChanged, CardGone, UserError
from .grading import LeechPolicy, grade
from .humanize import duration
from .identity import CONTEXT_SEPARATOR, context_parts
from .keys import DOWN, ENTER, ESCAPE, PAGE_DOWN, PAGE_UP, REVEAL, UP, KeyReader
from .neutral import neutral_name
from .review_screen import (
    KEY_HELP,
    CardView,
    Counts,
    answer_lines,
    answer_room,
    clamp_scroll,
    counts_text,
    format_days,
    shown_answer,
)
from .review_screen import grade_row as screen_grade_row
from .review_screen import render as render_screen
from .session import (
    DailyLimits,
    Queue,
    QueueStep,
    after_answer,
    build_queue,
    facts_of,
    follow_exam_plan,
    without,
)
from .settings import Settings
from .store import Store
from .terminal_screen import TerminalScreen

Clock = Callable[[], datetime]
Editor = Callable[[Path, int], None]

GRADE_KEYS = "012345"
# Editors that open a file at a line with `+LINE file`.
PLUS_LINE_EDITORS = frozenset(
    {
        "vi", "vim", "nvim", "gvim", "mvim", "view", "vim.basic", "vim.tiny", "nano", "rnano", "pico",
        "emacs", "emacsclient", "mg", "micro", "kak", "joe", "jed", "ne", "vis", "ex", "elvis",
    }
)  # fmt: skip
GOTO_EDITORS = frozenset({"code", "code-insiders", "codium", "cursor"})  # `--goto file:line`
COLON_EDITORS = frozenset({"subl", "sublime_text", "hx", "helix", "zed"})  # `file:line`


@dataclass(frozen=True)
class SessionOptions:
    deck: str | None = None
    cram: bool = False
    section: str | None = None  # cram only: a context prefix such as "Lambda" or "EC2 › Purchasing Options"
    new_limit: int | None = None  # new cards in this session, instead of what is left of new-per-day
    review_limit: int | None = None  # due reviews in this session (cards, with --cram), instead of the rest
    seed: int | None = None  # cram shuffle


@dataclass
class Summary:
    reviewed: int = 0
    correct: int = 0  # graded 3 or better
    # Time studied, as `stats` counts "time today": each answer's time from its card shown to its grade, so
    # an editor, a pause on the closing prompt or a stopped session never counts.
    milliseconds: int = 0
    due_tomorrow: int = 0

    @property
    def seconds(self) -> float:
        return self.milliseconds / 1000

    @property
    def correct_percent(self) -> int | None:
        return None if self.reviewed == 0 else round(100 * self.correct / self.reviewed)


@dataclass(frozen=True)
class _Undo:
    action: Literal["answer", "suspend", "bury"]
    card: ReviewCard  # as it was before the action
    step: QueueStep  # what the action changed in the queue: undo puts the card back at its head
    review_id: int | None = None
    quality: int | None = None
    duration_ms: int = 0


class Display(Protocol):
    """Where the session shows itself: the full screen on a terminal, a log of lines in scripts."""

    def card(self, view: CardView, *, new: bool = False) -> None:
        """Show ``view``: a card just drawn from the queue (``new``), or the same card revealed, scrolled,
        with or without the key help."""

    def say(self, message: str, style: str) -> None: ...

    def key_pressed(self) -> None:
        """A new key: what was said about the previous one has been seen and goes."""

    def closing(self, message: str) -> None:
        """The session's end, with one key left to undo the last answer."""

    def size(self) -> tuple[int, int]:
        """(columns, lines) the cards are laid out for."""


def run_session(
    store: Store,
    settings: Settings,
    *,
    now: Clock,
    console: Console,
    keys: KeyReader,
    options: SessionOptions | None = None,
    edit: Editor | None = None,
    tz: tzinfo | None = None,
    screen: TerminalScreen | None = None,
    notice: str | None = None,
) -> Summary:
    """Run one session to its end (queue empty, `q`, Ctrl-C or end of input) and print its summary.

    ``tz`` is the learner's time zone for the day rollover (None: the system's). With a ``screen`` the cards
    show full-screen on the terminal's alternate screen and the summary prints after it is left; without,
    the session is a log of lines on ``console``. ``notice`` is shown with the first card on the screen (the
    caller has printed it on the normal screen, where the full screen would hide it). Raises UserError before
    anything is shown or written for an unknown deck or a section without cards.
    """
    session = _Session(store, settings, now, console, keys, options or SessionOptions(), edit, tz)
    return session.run(screen, notice)


class _Session:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        now: Clock,
        console: Console,
        keys: KeyReader,
        options: SessionOptions,
        edit: Editor | None,
        tz: tzinfo | None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.now = now
        self.console = console
        self.keys = keys
        self.options = options
        self.edit = edit
        self.tz = tz
        self.deck_id = store.require_deck(options.deck) if options.deck is not None else None
        self.queue = Queue()
        self.history: list[_Undo] = []
        self.summary = Summary()
        self.display: Display = LogDisplay(console)
        self.exam_label: str | None = None  # "exam in N days" while the session follows an exam plan
        self.brought_forward: frozenset[str] = frozenset()  # the plan's early reviews: shown though not due

    # -- the session -----------------------------------------------------------------------------------------

    def run(self, screen: TerminalScreen | None = None, notice: str | None = None) -> Summary:
        started = self.now()
        if self.options.cram:
            self.queue = self._cram_queue()
        else:
            self.queue = self._daily_queue(self._today(started))
        try:
            if screen is not None and self.queue:
                full = ScreenDisplay(screen)
                with screen.active(full.redraw):
                    self.display = full
                    if notice:
                        self._say(notice, "yellow")
                    self._loop()
            else:
                self._loop()
        except (KeyboardInterrupt, EOFError):
            self.console.print()
        finally:
            self.display = LogDisplay(self.console)
        ended = self.now()
        tomorrow = add_days(self._today(ended), 1)
        self.summary.due_tomorrow = self.store.due_count(tomorrow, deck_id=self.deck_id)
        self.console.print(render_summary(self.summary))
        return self.summary

    def _loop(self) -> None:
        while True:
            while (head := self.queue.next_card()) is not None:
                if self._turn(head[0]) == "quit":
                    return
            if not self.history:
                return
            # The last card may have been graded by mistake: one more key can still take it back.
            self.display.closing("Cram done." if self.options.cram else "Done for today.")
            if self.keys.read_key().lower() != "u" or not self._undo():
                return

    def _daily_queue(self, today: date) -> Queue:
        new_seen, reviews_done = self.store.answers_today(today)
        options, settings = self.options, self.settings
        new_room = options.new_limit if options.new_limit is not None else settings.new_per_day - new_seen
        review_room = (
            options.review_limit
            if options.review_limit is not None
            else settings.reviews_per_day - reviews_done
        )
        limits = DailyLimits(max(0, new_room), max(0, review_room))
        cards = self.store.queue_candidates(
            today, deck_id=self.deck_id, new_limit=limits.new_per_day, review_limit=limits.reviews_per_day
        )
        queue = self._follow_exam(build_queue(cards, today, limits), today, limits)
        if not queue:
            where = f" in {neutral_name(options.deck)}" if options.deck else ""
            self._say(f"Nothing to review today{where}.", "bold")
            if limits.new_per_day == 0 and self.store.has_new_cards(self.deck_id):
                self._say(
                    f"Today's {settings.new_per_day} new cards are used up: `dva-cards review --new 10` "
                    "introduces more, `dva-cards config set new-per-day N` changes the daily number.",
                    "dim",
                )
        return queue

    def _follow_exam(self, queue: Queue, today: date, limits: DailyLimits) -> Queue:
        """The plain queue, or, while an exam covering this session's cards is ahead, the plan's day of it."""
        from .exam_goal import from_settings, header_label

        goal = from_settings(self.store.settings())
        if goal is None or header_label(goal, today) is None:
            return queue
        deck = self.options.deck
        if deck is not None and goal.deck is not None and goal.deck != deck:
            return queue  # another deck's exam: this deck studies as usual
        from .exam_planning import plan_for_day

        self.exam_label = header_label(goal, today)
        plan = plan_for_day(self.store, goal, self.settings, today, report=False).plan  # once per session
        day = plan.for_day(today)
        if day is None:  # the exam is today: nothing left to plan
            return queue
        # The plan's new cards in its order, today's first: `--new N` beyond today's share takes the next ones.
        new = [card_id for planned_day in plan.days for card_id in planned_day.new]
        planned = self.store.queue_cards([*new, *day.brought_forward], today)
        if deck is not None:
            planned = [card for card in planned if card.order[0] == deck]
        self.brought_forward = frozenset(day.brought_forward)
        return follow_exam_plan(queue, planned, new, day.brought_forward, today, limits)

    def _cram_queue(self) -> Queue:
        candidates = self.store.cram_candidates(self.deck_id)
        section = self.options.section
        if section is not None:
            chosen = [card_id for card_id, context in candidates if section_matches(context, section)]
            if not chosen:
                where = f" of deck {self.options.deck}" if self.options.deck else ""
                known = top_sections(context for _, context in candidates)
                raise UserError(f"no cards in section {section!r}{where} (sections: {known or 'none'})")
        else:
            chosen = [card_id for card_id, _ in candidates]
        random.Random(self.options.seed).shuffle(chosen)
        if self.options.review_limit is not None:
            chosen = chosen[: self.options.review_limit]
        what = CONTEXT_SEPARATOR.join(part for part in (self.options.deck, section) if part) or "all decks"
        self._say(
            f"Cram: {len(chosen)} cards from {neutral_name(what)}. The schedule is not changed.", "bold"
        )
        return Queue(reviews=tuple(chosen))

    # -- one card --------------------------------------------------------------------------------------------

    def _turn(self, card_id: str) -> Literal["next", "quit"]:
        """Show one card and act on keys until it is graded or left; "quit" ends the session."""
        card = self.store.review_card(card_id)
        if card is None or not self._showable(card):
            without(self.queue, card_id)  # changed behind the session's back (edit, another run)
            return "next"
        view = self._view(card)
        self.display.card(view, new=True)
        shown_at = self.now()
        while True:
            key = self.keys.read_key()
            key = key.lower() if len(key) == 1 else key
            self.display.key_pressed()
            if view.show_keys:  # ? or Esc closes the key help; any other key closes it and acts
                view = replace(view, show_keys=False)
                if key in ("?", ESCAPE):
                    self.display.card(view)
                    continue
            if key in (REVEAL, ENTER, DOWN, PAGE_DOWN, UP, PAGE_UP, "j", "k"):
                view = self._move(view, key)
                self.display.card(view)
            elif key in GRADE_KEYS and len(key) == 1:
                if view.revealed:
                    self._answer(card, int(key), shown_at)
                    return "next"
                self._say("Show the answer first (space or enter).", "dim")
            elif key == "u":
                if self._undo():
                    return "next"
            elif key == "s":
                self._suspend(card)
                return "next"
            elif key == "b":
                self._bury(card)
                return "next"
            elif key == "e":
                self._edit(card)
                return "next"
            elif key == "q":
                return "quit"
            elif key == "?":
                view = replace(view, show_keys=True)
                self.display.card(view)
            elif key != ESCAPE:
                self._say(f"Unknown key {key!r}: ? shows the keys.", "dim")

    def _showable(self, card: ReviewCard) -> bool:
        if card.retired:
            return False
        if self.options.cram:
            return True
        schedule = card.schedule
        facts = facts_of(schedule.state, suspended=schedule.suspended, buried_until=schedule.buried_until)
        state = state_of(facts, self._today())
        return state.queued or (state is CardState.WAITING and card.id in self.brought_forward)

    def _view(self, card: ReviewCard) -> CardView:
        """The view state of a card just shown: front only, at the top of its answer."""
        if self.options.cram:
            counts = Counts(cram_left=len(self.queue))
            preview = None
        else:
            counts = Counts(*self.queue.counts(), exam=self.exam_label)
            schedule = card.schedule
            preview = scheduling.preview(
                schedule.state, schedule.memory, self._today(), self.settings.scheduling
            )
        return CardView(
            card.deck, card.context, card.front, card.back, counts, width=80, height=24, preview=preview
        )

    def _move(self, view: CardView, key: str) -> CardView:
        """Reveal, or page and scroll a revealed answer taller than the screen."""
        if not view.revealed:
            return replace(view, revealed=True) if key in (REVEAL, ENTER) else view
        width, height = self.display.size()
        sized = replace(view, width=width, height=height)
        room = answer_room(sized)
        total = len(answer_lines(view.back, sized.width, False))
        page = max(1, room - 2)
        step = {DOWN: 1, "j": 1, UP: -1, "k": -1, PAGE_DOWN: page, REVEAL: page, ENTER: page, PAGE_UP: -page}
        scroll = clamp_scroll(clamp_scroll(view.scroll, total, room) + step[key], total, room)
        return replace(view, scroll=scroll)

    def _answer(self, card: ReviewCard, quality: int, shown_at: datetime) -> None:
        at = self.now()
        today = self._today(at)
        leeches = LeechPolicy(self.settings.leech_threshold, self.settings.leech_action == "suspend")
        duration_ms = max(0, round((at - shown_at).total_seconds() * 1000))
        graded = grade(
            card.id, card.schedule, quality, today=today, at=at,
            duration_ms=duration_ms, leeches=leeches, cram=self.options.cram,
            scheduling=self.settings.scheduling,
        )  # fmt: skip
        answer, became_leech = graded.answer, graded.became_leech
        after = answer.after
        try:
            review_id = self.store.record_answer(answer)
        except CardGone:
            # Pruned or deleted by another dva-cards while on screen: nothing was written; go on.
            without(self.queue, card.id)
            self._say("This card has left the collection meanwhile; the answer was not recorded.", "yellow")
            return
        except CardChanged:
            # Answered or changed by another dva-cards while on screen: nothing was written. The queue keeps
            # the card, so the next turn reloads it (and drops it if it is no longer due).
            self._say(
                "This card was changed by another dva-cards meanwhile: reloaded, not recorded.", "yellow"
            )
            return
        self.summary.reviewed += 1
        self.summary.milliseconds += duration_ms
        self.summary.correct += int(quality >= scheduler.PASSING_GRADE)
        if self.options.cram:
            # Wrong: once more at the end of the cram.
            step = self.queue.take(card.id, again=quality < scheduler.PASSING_GRADE)
            self.history.append(_Undo("answer", card, step, review_id, quality, duration_ms))
            return
        if answer.suspended:  # a leech taken out of review
            step = without(self.queue, card.id)
        else:
            step = after_answer(self.queue, card.id, after, today)
        self.history.append(_Undo("answer", card, step, review_id, quality, duration_ms))
        self._say(describe_outcome(quality, after, today), "dim")
        if became_leech:
            action = "suspended" if answer.suspended else "flagged"
            self._say(f"Leech: this card has lapsed {after.lapses} times; {action}.", "bold yellow")

    # -- other keys ------------------------------------------------------------------------------------------

    def _undo(self) -> bool:
        if not self.history:
            self._say("Nothing to undo.", "dim")
            return False
        entry = self.history.pop()
        try:
            if entry.review_id is not None:
                # A cram answer never changed the card: only its log row goes.
                before = None if self.options.cram else entry.card.schedule
                self.store.undo_answer(entry.review_id, entry.card.id, before)
                self.summary.reviewed -= 1
                self.summary.milliseconds -= entry.duration_ms
                self.summary.correct -= int((entry.quality or 0) >= scheduler.PASSING_GRADE)
                what = f"grade {entry.quality}"
            else:
                before = entry.card.schedule
                left = replace(before, suspended=True) if entry.action == "suspend" else before
                self.store.restore_schedule(entry.card.id, before, current=left)
                what = entry.action
        except (CardChanged, CardGone):
            # Another dva-cards answered or removed the card since: undoing would leave its answer in the
            # log but not on the card. The card keeps what the other session gave it.
            self._say(f"Cannot undo: another dva-cards changed this card since: {entry.card.front}", "yellow")
            return False
        self.queue.put_back(entry.step)
        self._say(f"Undone: {what} of {entry.card.front}", "yellow")
        return True

    def _suspend(self, card: ReviewCard) -> None:
        self.store.set_suspended(card.id, True)
        self.history.append(_Undo("suspend", card, without(self.queue, card.id)))
        self._say("Suspended (u undoes).", "yellow")

    def _bury(self, card: ReviewCard) -> None:
        until = add_days(self._today(), 1)
        self.store.bury(card.id, until)
        self.history.append(_Undo("bury", card, without(self.queue, card.id)))
        self._say("Buried until tomorrow (u undoes).", "yellow")

    def _edit(self, card: ReviewCard) -> None:
        if self.edit is None:
            self._say("Editing is not available here.", "dim")
            return
        if not card.source:  # a card that came by sync: its notes are on another machine
            self._say("This card's notes are not on this machine: import them here to edit it.", "yellow")
            return
        path = Path(card.source)
        try:
            with self._terminal_for_editor():
                self.edit(path, card.line)
            from .importer import import_notes, load_notes
            from .starter_deck import owning_file_exists

            counts = import_notes(
                self.store, load_notes([path]), self.now(), deck=card.deck, file_exists=owning_file_exists
            ).counts
        except UserError as error:
            self._say(f"Edit: {error.message}", "red")
            return
        changes = f"{counts.added} added, {counts.updated} updated, {counts.retired} retired"
        self._say(f"Re-imported {neutral_name(path.name)}: {changes}.", "dim")
        queued = self.queue.card_ids()
        active = self.store.active_card_ids(sorted(queued))
        for gone in sorted(queued - active):
            without(self.queue, gone)
        if card.id not in active:
            self._say("This card's definition is gone from the notes: it is retired.", "yellow")

    # -- helpers ---------------------------------------------------------------------------------------------

    def _today(self, at: datetime | None = None) -> date:
        return learner_today(at or self.now(), self.settings.rollover_hour, self.tz)

    def _say(self, message: str, style: str) -> None:
        self.display.say(message, style)

    def _terminal_for_editor(self) -> AbstractContextManager[None]:
        if isinstance(self.display, ScreenDisplay):
            return self.display.screen.suspended()
        return self.keys.paused()


# -- the two displays ----------------------------------------------------------------------------------------


class ScreenDisplay:
    """One card a screen: each view state drawn whole on the alternate screen."""

    def __init__(self, screen: TerminalScreen) -> None:
        self.screen = screen
        self.view: CardView | None = None
        self.pending: list[str] = []  # said since the last card view: shown with the next one, then gone

    def size(self) -> tuple[int, int]:
        return self.screen.size()

    def card(self, view: CardView, *, new: bool = False) -> None:
        self.view = view
        self.redraw()
        self.pending = []

    def say(self, message: str, style: str) -> None:
        self.pending.append(message)
        if self.view is not None:
            self.redraw()

    def key_pressed(self) -> None:
        # A hint about this card ("show the answer first") must not follow the learner to the next one.
        self.pending = []

    def closing(self, message: str) -> None:
        if self.view is not None:
            self.view = replace(
                self.view, closing=message, counts=Counts(cram_left=self.view.counts.cram_left)
            )
            self.redraw()

    def redraw(self) -> None:
        if self.view is None:
            return
        width, height = self.screen.size()
        view = replace(self.view, width=width, height=height, messages=tuple(self.pending))
        self.screen.draw(render_screen(view))


class LogDisplay:
    """Scripts and pipes: each card printed once as a block of lines, the answer under it when revealed."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.view: CardView | None = None

    def size(self) -> tuple[int, int]:
        return self.console.width, self.console.height

    def card(self, view: CardView, *, new: bool = False) -> None:
        before, self.view = self.view, view
        if new or before is None:
            self._front(view)
        elif view.show_keys and not before.show_keys:
            self.console.print(render_help())
        elif view.revealed and not before.revealed:
            self._back(view)

    def say(self, message: str, style: str) -> None:
        self.console.print(Text(message, style=style))

    def key_pressed(self) -> None:
        pass  # each line is printed once: nothing stays on screen to forget

    def closing(self, message: str) -> None:
        self.say(message, "bold green")
        self.say("u: undo the last answer · any other key: finish", "dim")
        if self.view is not None:
            self.view = replace(self.view, closing=message)

    def _front(self, view: CardView) -> None:
        self.console.print()
        self.console.rule(style="dim")
        self.console.print(log_header(view))
        self.console.print()
        self.console.print(Text(view.front, style="bold"))
        self.console.print(Text("space: show answer · ? keys", style="dim"))

    def _back(self, view: CardView) -> None:
        back, cut = shown_answer(view.back)
        self.console.print()
        self.console.print(Markdown(back))
        if cut is not None:
            self.console.print(Text(cut, style="yellow"))
        self.console.print()
        self.console.print(grade_line(view.preview))
        self.console.print(Text("0-5 grade · u undo · q quit · ? keys", style="dim"))


# -- rendering (pure: values in, Rich renderables out) -------------------------------------------------------


def grade_line(preview: dict[int, int] | None, width: int = 80) -> Text:
    """`0 blackout · 1 wrong · 2 almost · 3 hard 1d · 4 good 6d · 5 easy 6d`: each grade named, with when a
    passing grade shows the card again (a failing one: again today); None in cram."""
    return screen_grade_row(preview, width)


def log_header(view: CardView) -> Table:
    """The log display's header: deck › context, wrapping if it must, and the counters."""
    where = Text(neutral_name(view.deck), style="bold")
    if view.context:
        where.append(CONTEXT_SEPARATOR)
        where.append(neutral_name(view.context))
    right = counts_text(view.counts)
    # One space between the two sides, none at the edges: a long context wraps instead of running into the counters.
    grid = Table.grid(expand=True, padding=(0, 1), pad_edge=False)
    grid.add_column(ratio=1)
    grid.add_column(justify="right", no_wrap=True)
    grid.add_row(where, right)
    return grid


def describe_outcome(quality: int, after: scheduler.SM2State, today: date) -> str:
    if after.drill:
        return f"{quality}: again today, until a 4 or 5."
    if after.due is None or after.due <= today:
        return f"{quality}: again today."
    days = (after.due - today).days
    return f"{quality}: next in {format_days(days)} ({after.due.isoformat()})."


def render_summary(summary: Summary) -> RenderableType:
    percent = summary.correct_percent
    line = Text.assemble(
        ("Reviewed ", "bold"),
        (str(summary.reviewed), "bold"),
        " · correct ",
        ("—" if percent is None else f"{percent}%", "bold"),
        " · time ",
        (duration(summary.milliseconds), "bold"),
        " · due tomorrow ",
        (str(summary.due_tomorrow), "bold"),
    )
    return Group(Text(), line)


def render_help() -> Table:
    """The keys, as the full screen's `?` shows them (one list, review_screen.KEY_HELP)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, meaning in KEY_HELP:
        table.add_row(Text(key), Text(meaning))
    return table


# -- sections ------------------------------------------------------------------------------------------------


def section_path(text: str) -> list[str]:
    """A context or a --section as comparable parts: split on › (or a spaced >), trimmed, case-folded."""
    return [part.strip().casefold() for part in re.split(r"›|\s>\s", text) if part.strip()]


def section_matches(context: str, section: str) -> bool:
    """Whether a card's context lies in ``section``: the section's parts start the context's parts."""
    wanted = section_path(section)
    return bool(wanted) and section_path(context)[: len(wanted)] == wanted


def top_sections(contexts: Iterable[str], limit: int = 12) -> str:
    """The first parts of some contexts, as a short list for an error message."""
    seen: dict[str, None] = {}
    for context in contexts:
        parts = context_parts(context)
        if parts:
            seen.setdefault(parts[0], None)
    names = sorted(seen, key=str.casefold)
    return ", ".join(names[:limit]) + (", …" if len(names) > limit else "")


# -- the editor ----------------------------------------------------------------------------------------------


EDITOR_VARIABLES = ("VISUAL", "EDITOR")  # the usual order: a full-screen editor first


def chosen_editor(environ: Mapping[str, str]) -> tuple[str, str]:
    """(variable, command line) of the editor to open notes with; UserError when none is set.

    There is no silent fallback to vi: a learner who never chose vi should not land in it mid-review.
    """
    for variable in EDITOR_VARIABLES:
        value = environ.get(variable, "")
        if value.strip():
            return variable, value
    raise UserError("no editor: set $EDITOR (or $VISUAL) to edit notes from a review, e.g. EDITOR=nano")


def editor_command(editor: str, path: Path, line: int, variable: str = "EDITOR") -> list[str]:
    """The argv that opens ``path`` at ``line`` in ``editor`` (a command line such as "code -w").

    A command line the shell could not split (an unclosed quote) is a UserError naming the variable."""
    try:
        parts = shlex.split(editor, posix=os.name != "nt")
    except ValueError as error:
        raise UserError(f"${variable} is not a valid command line ({error}): {editor}") from None
    if not parts:
        raise UserError(f"${variable} is empty: set it to an editor, e.g. {variable}=nano")
    name = Path(parts[0]).name.lower().removesuffix(".exe")
    if name in PLUS_LINE_EDITORS:
        return [*parts, f"+{line}", str(path)]
    if name in GOTO_EDITORS:
        return [*parts, "--goto", f"{path}:{line}"]
    if name in COLON_EDITORS:
        return [*parts, f"{path}:{line}"]
    return [*parts, str(path)]


def launch_editor(path: Path, line: int) -> None:
    """Open the notes file at a line in $VISUAL or $EDITOR and wait for it to close."""
    variable, editor = chosen_editor(os.environ)
    command = editor_command(editor, path, line, variable)
    try:
        subprocess.run(command, check=False)
    except OSError as error:
        raise UserError(f"cannot run ${variable} ({command[0]}): {error.strerror or error}") from None
