"""The terminal while a review is on screen: the alternate screen, and the way back from it on every exit.

`TerminalScreen.active()` switches to the alternate screen and hides the cursor; whatever ends the session
(`q`, Ctrl-C, SIGTERM, SIGHUP, an exception) it leaves the alternate screen, shows the cursor and, with the key
reader, puts the tty modes back, so the summary prints on the normal screen and the shell gets a sane
terminal. Ctrl-Z restores the terminal before stopping and redraws on SIGCONT; a resize redraws.

Drawing is dumb: the lines come from review_screen.render, already cut to the terminal's size.
"""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from types import FrameType
from typing import IO, Any

from rich.console import Console
from rich.text import Text

ENTER_ALTERNATE = "\x1b[?1049h\x1b[?25l"  # alternate screen on, cursor hidden
LEAVE_ALTERNATE = "\x1b[?25h\x1b[?1049l"  # cursor shown, alternate screen off
HOME = "\x1b[H"
CLEAR_LINE_END = "\x1b[K"


class SessionKilled(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a session: it ends like Ctrl-C (summary, terminal restored), then exits with
    the signal's status."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class TerminalScreen:
    """Draws whole screens on a terminal's alternate screen. ``keys`` is the key reader that owns the tty
    modes (its ``paused()`` gives the terminal back as it was)."""

    def __init__(self, out: IO[str], keys: Any) -> None:
        self.out = out
        self.keys = keys
        self.redraw: Callable[[], None] = lambda: None
        self.killed_by: int | None = None
        self._inside = False
        self._console = Console(file=io.StringIO(), force_terminal=True, highlight=False, emoji=False)

    def size(self) -> tuple[int, int]:
        """(columns, lines) of the terminal now."""
        try:
            size = os.get_terminal_size(self.out.fileno())
        except (OSError, ValueError):
            return 80, 24
        return size.columns, size.lines

    def draw(self, lines: Sequence[Text]) -> None:
        """Each line at its own row, placed by cursor address rather than newlines: a line as wide as the
        screen wraps at once on some terminals, and a newline after it would then scroll the whole screen.
        The bottom row stops one column short so that writing it can never scroll."""
        width, height = self.size()
        chunks = [HOME]
        for row in range(1, height + 1):  # every row, so nothing of the last screen stays
            line = lines[row - 1] if row <= len(lines) else None
            room = width - 1 if row == height else width
            drawn = self._ansi(line, room) if line is not None and line.plain else ""
            chunks.append(f"\x1b[{row};1H" + drawn + CLEAR_LINE_END)
        self._write("".join(chunks))

    @contextmanager
    def active(self, redraw: Callable[[], None]) -> Iterator[None]:
        """The alternate screen for the block; ``redraw`` repaints it (after a resize or Ctrl-Z)."""
        self.redraw = redraw
        handlers = {
            signal.SIGTERM: self._on_kill,
            signal.SIGHUP: self._on_kill,
            signal.SIGTSTP: self._on_stop,
            signal.SIGCONT: self._on_continue,
            signal.SIGWINCH: self._on_resize,
        }
        previous = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
        try:
            self._enter()
            yield
        finally:
            self._leave()
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def suspended(self) -> AbstractContextManager[None]:
        """The normal screen and the tty as they were, for a program that needs the terminal (an editor)."""

        @contextmanager
        def away() -> Iterator[None]:
            self._leave()
            try:
                with self.keys.paused():
                    yield
            finally:
                self._enter()

        return away()

    # -- the way in and out --------------------------------------------------------------------------------

    def _enter(self) -> None:
        self._write(ENTER_ALTERNATE)
        self._inside = True

    def _leave(self) -> None:
        if self._inside:
            self._inside = False
            self._write(LEAVE_ALTERNATE)

    def _on_kill(self, signum: int, frame: FrameType | None) -> None:
        self.killed_by = signum
        raise SessionKilled(signum)

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        with self.keys.paused():  # tty modes back for the shell while stopped; cbreak again on the way back
            self._leave()
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)  # stops here until SIGCONT
            signal.signal(signal.SIGTSTP, self._on_stop)
        self._enter()
        self._repaint()

    def _on_continue(self, signum: int, frame: FrameType | None) -> None:
        if self._inside:  # stopped by SIGSTOP rather than Ctrl-Z: the screen may hold anything
            self._repaint()

    def _on_resize(self, signum: int, frame: FrameType | None) -> None:
        if self._inside:
            self._repaint()

    def _repaint(self) -> None:
        with suppress(OSError):  # the terminal went away: the session ends on the next read
            self.redraw()

    def _write(self, text: str) -> None:
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):
            pass  # a closed terminal (SIGHUP) must not stop the way out

    def _ansi(self, line: Text, width: int) -> str:
        console = self._console
        console.width = width
        with console.capture() as capture:
            console.print(line, end="", no_wrap=True, overflow="crop", crop=True, soft_wrap=False)
        return capture.get()
