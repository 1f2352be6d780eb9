"""The interactive review loop: the day's SM-2 session, or cram practice that leaves the schedule alone.

Everything it touches is handed in: the store, a clock (``now()``, timezone-aware), a Rich console and a key
reader, so tests drive a whole session with scripted keys and a fixed clock. Each answer is committed (review
row and card state, one transaction) before the next card shows; undo puts back the exact state it replaced.

Keys: Space/Enter reveal · 0-5 grade · u undo · s suspend · b bury until tomorrow · e edit the source line in
$EDITOR (then re-import the file) · q quit · ? help. Ctrl-C and end of input quit too; every way out prints
the summary.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Literal

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from . import scheduler
from .card_state import state_of
from .clock import add_days, learner_today
from .domain import ReviewCard
from .errors import CardGone, UserError
from .grading import LeechPolicy, grade
from .humanize import duration
from .identity import CONTEXT_SEPARATOR, context_parts
from .keys import ENTER, ESCAPE, REVEAL, KeyReader
from .session import DailyLimits, Queue, QueueStep, after_answer, build_queue, facts_of, without
from .settings import Settings
from .store import Store

Clock = Callable[[], datetime]
Editor = Callable[[Path, int], None]

GRADE_KEYS = "012345"
GRADE_NAMES = {
    5: "perfect",
    4: "correct after hesitation",
    3: "correct with serious difficulty",
    2: "wrong, but easy once seen",
    1: "wrong, the answer remembered",
    0: "blackout",
}
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
    seconds: float = 0.0
    due_tomorrow: int = 0

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
) -> Summary:
    """Run one session to its end (queue empty, `q`, Ctrl-C or end of input) and print its summary.

    ``tz`` is the learner's time zone for the day rollover (None: the system's). Raises UserError before
    anything is shown or written for an unknown deck or a section without cards.
    """
    return _Session(store, settings, now, console, keys, options or SessionOptions(), edit, tz).run()


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

    # -- the session -----------------------------------------------------------------------------------------

    def run(self) -> Summary:
        started = self.now()
        if self.options.cram:
            self.queue = self._cram_queue()
        else:
            self.queue = self._daily_queue(self._today(started))
        try:
            self._loop()
        except (KeyboardInterrupt, EOFError):
            self.console.print()
        ended = self.now()
        self.summary.seconds = max(0.0, (ended - started).total_seconds())
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
            self._say("Cram done." if self.options.cram else "Done for today.", "bold green")
            self._say("u: undo the last answer · any other key: finish", "dim")
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
        queue = build_queue(cards, today, limits)
        if not queue:
            where = f" in {options.deck}" if options.deck else ""
            self._say(f"Nothing to review today{where}.", "bold")
            if limits.new_per_day == 0 and self.store.has_new_cards(self.deck_id):
                self._say(
                    f"Today's {settings.new_per_day} new cards are used up: `dva-cards review --new 10` "
                    "introduces more, `dva-cards config set new-per-day N` changes the daily number.",
                    "dim",
                )
        return queue

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
        self._say(f"Cram: {len(chosen)} cards from {what}. The schedule is not changed.", "bold")
        return Queue(reviews=tuple(chosen))

    # -- one card --------------------------------------------------------------------------------------------

    def _turn(self, card_id: str) -> Literal["next", "quit"]:
        """Show one card and act on keys until it is graded or left; "quit" ends the session."""
        card = self.store.review_card(card_id)
        if card is None or not self._showable(card):
            without(self.queue, card_id)  # changed behind the session's back (edit, another run)
            return "next"
        self._show_front(card)
        shown_at = self.now()
        revealed = False
        while True:
            key = self.keys.read_key()
            key = key.lower() if len(key) == 1 else key
            if key in (REVEAL, ENTER):
                if not revealed:
                    revealed = True
                    self._show_back(card)
            elif key in GRADE_KEYS and len(key) == 1:
                if revealed:
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
                self.console.print(render_help())
            elif key != ESCAPE:
                self._say(f"Unknown key {key!r}: ? shows the keys.", "dim")

    def _showable(self, card: ReviewCard) -> bool:
        if card.retired:
            return False
        if self.options.cram:
            return True
        schedule = card.schedule
        facts = facts_of(schedule.state, suspended=schedule.suspended, buried_until=schedule.buried_until)
        return state_of(facts, self._today()).queued

    def _show_front(self, card: ReviewCard) -> None:
        self.console.print()
        self.console.rule(style="dim")
        self.console.print(self._header(card))
        self.console.print()
        self.console.print(Text(card.front, style="bold"))
        self.console.print(Text("space: show answer · ? keys", style="dim"))

    def _header(self, card: ReviewCard) -> Table:
        where = Text(card.deck, style="bold")
        if card.context:
            where.append(CONTEXT_SEPARATOR)
            where.append(card.context)
        if self.options.cram:
            counts = Text(f"cram · {len(self.queue)} left", style="magenta")
        else:
            new, review, drill = self.queue.counts()
            counts = Text.assemble(
                (str(new), "blue"),
                " new · ",
                (str(review), "green"),
                " review · ",
                (str(drill), "red"),
                " drill",
            )
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1)
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(where, counts)
        return grid

    def _show_back(self, card: ReviewCard) -> None:
        self.console.print()
        self.console.print(Markdown(card.back))
        self.console.print()
        if self.options.cram:
            grades = Text("grade 0-5 (cram: the schedule is not changed)", style="dim")
        else:
            grades = grade_line(scheduler.preview(card.schedule.state, self._today()))
        self.console.print(grades)

    def _answer(self, card: ReviewCard, quality: int, shown_at: datetime) -> None:
        at = self.now()
        today = self._today(at)
        leeches = LeechPolicy(self.settings.leech_threshold, self.settings.leech_action == "suspend")
        graded = grade(
            card.id, card.schedule, quality, today=today, at=at,
            duration_ms=round((at - shown_at).total_seconds() * 1000), leeches=leeches, cram=self.options.cram,
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
        self.summary.reviewed += 1
        self.summary.correct += int(quality >= scheduler.PASSING_GRADE)
        if self.options.cram:
            # Wrong: once more at the end of the cram.
            step = self.queue.take(card.id, again=quality < scheduler.PASSING_GRADE)
            self.history.append(_Undo("answer", card, step, review_id, quality))
            return
        if answer.suspended:  # a leech taken out of review
            step = without(self.queue, card.id)
        else:
            step = after_answer(self.queue, card.id, after, today)
        self.history.append(_Undo("answer", card, step, review_id, quality))
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
        if entry.review_id is not None:
            # A cram answer never changed the card: only its log row goes.
            before = None if self.options.cram else entry.card.schedule
            self.store.undo_answer(entry.review_id, entry.card.id, before)
            self.summary.reviewed -= 1
            self.summary.correct -= int((entry.quality or 0) >= scheduler.PASSING_GRADE)
            what = f"grade {entry.quality}"
        else:
            self.store.restore_schedule(entry.card.id, entry.card.schedule)
            what = entry.action
        self.queue.put_back(entry.step)
        message = Text(f"Undone: {what} of ", style="yellow")
        message.append(entry.card.front)
        self.console.print(message)
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
        path = Path(card.source)
        try:
            with self.keys.paused():
                self.edit(path, card.line)
            from .importer import import_notes, load_notes

            counts = import_notes(self.store, load_notes([path]), self.now(), deck=card.deck).counts
        except UserError as error:
            self._say(f"Edit: {error.message}", "red")
            return
        changes = f"{counts.added} added, {counts.updated} updated, {counts.retired} retired"
        self._say(f"Re-imported {path.name}: {changes}.", "dim")
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
        self.console.print(Text(message, style=style))


# -- rendering (pure: values in, Rich renderables out) -------------------------------------------------------


def format_days(days: int) -> str:
    """A short interval: today, 6d, 1.6mo, 2.1y."""
    if days <= 0:
        return "today"
    if days < 31:
        return f"{days}d"
    if days < 365:
        return f"{days / 30.44:.1f}mo"
    return f"{days / 365.25:.1f}y"


def grade_line(preview: dict[int, int]) -> Text:
    """`0 today  1 today  2 today  3 today  4 6d  5 6d`: each grade and when it would show the card again."""
    line = Text()
    for quality in sorted(preview):
        if quality:
            line.append("  ")
        line.append(str(quality), style="bold")
        line.append(" " + format_days(preview[quality]), style="dim")
    return line


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
        (duration(round(summary.seconds * 1000)), "bold"),
        " · due tomorrow ",
        (str(summary.due_tomorrow), "bold"),
    )
    return Group(Text(), line)


def render_help() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    grades = " · ".join(f"{quality} {name}" for quality, name in GRADE_NAMES.items())
    for key, meaning in (
        ("space, enter", "show the answer"),
        ("0-5", f"grade: {grades}"),
        ("u", "undo the last grade, suspend or bury (again for the one before)"),
        ("s", "suspend this card (out of every session until unsuspended)"),
        ("b", "bury this card until tomorrow"),
        ("e", "open the note in $EDITOR at this card's line, then re-import the file"),
        ("q, Ctrl-C", "quit with a summary"),
        ("?", "this help"),
    ):
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


def editor_command(editor: str, path: Path, line: int) -> list[str]:
    """The argv that opens ``path`` at ``line`` in ``editor`` (a command line such as "code -w")."""
    parts = shlex.split(editor, posix=os.name != "nt") or ["vi"]
    name = Path(parts[0]).name.lower().removesuffix(".exe")
    if name in PLUS_LINE_EDITORS:
        return [*parts, f"+{line}", str(path)]
    if name in GOTO_EDITORS:
        return [*parts, "--goto", f"{path}:{line}"]
    if name in COLON_EDITORS:
        return [*parts, f"{path}:{line}"]
    return [*parts, str(path)]


def launch_editor(path: Path, line: int) -> None:
    """Open the notes file at a line in $EDITOR (or $VISUAL, or vi) and wait for it to close."""
    editor = os.environ.get("EDITOR") or os.environ.get("VISUAL") or ("vi" if shutil.which("vi") else "")
    if not editor.strip():
        raise UserError("set $EDITOR to edit notes during a review")
    command = editor_command(editor, path, line)
    try:
        subprocess.run(command, check=False)
    except OSError as error:
        raise UserError(f"cannot run editor {command[0]!r}: {error.strerror or error}") from None
