"""Key input for the review loop: one key at a time on a terminal, one key per line otherwise.

On a terminal the reader switches the tty to cbreak mode (no line buffering, no echo; Ctrl-C still sends
SIGINT) and always puts the previous mode back, on any exit, including KeyboardInterrupt. Without a terminal
(pipes, scripts, tests) every line is one key: an empty or blank line reveals, `4` grades, `q` quits, and end
of input raises EOFError so a script can simply stop.
"""

from __future__ import annotations

import codecs
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from types import TracebackType
from typing import IO, Any, Protocol

REVEAL = " "
ENTER = "\n"
ESCAPE = "\x1b"
CTRL_C = "\x03"
CTRL_D = "\x04"
# Named keys the review screen scrolls with (escape sequences of xterm-like terminals).
UP = "up"
DOWN = "down"
PAGE_UP = "page-up"
PAGE_DOWN = "page-down"
ESCAPE_SEQUENCES = {
    b"[A": UP, b"OA": UP, b"[B": DOWN, b"OB": DOWN, b"[5~": PAGE_UP, b"[6~": PAGE_DOWN,
}  # fmt: skip

# Whole words a script may write instead of the key.
WORDS = {
    "reveal": REVEAL,
    "show": REVEAL,
    "undo": "u",
    "suspend": "s",
    "bury": "b",
    "edit": "e",
    "quit": "q",
    "exit": "q",
    "help": "?",
}


class KeyReader(Protocol):
    def read_key(self) -> str:
        """The next key: a single character (Enter is "\\n"). EOFError at the end of input."""
        ...

    def paused(self) -> AbstractContextManager[None]:
        """The terminal as it was before the reader took it, for running an editor."""
        ...


class LineKeys:
    """One key per line from a text stream."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def read_key(self) -> str:
        line = self.stream.readline()
        if line == "":
            raise EOFError
        text = line.strip()
        if not text:
            return REVEAL
        return WORDS.get(text.lower(), text)

    def paused(self) -> AbstractContextManager[None]:
        return nullcontext()


class TerminalKeys:
    """Single keys from a POSIX terminal in cbreak mode. Use as a context manager."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._saved: list[Any] | None = None

    def __enter__(self) -> TerminalKeys:
        import termios

        self._saved = termios.tcgetattr(self.fd)
        self._cbreak()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._restore()

    def read_key(self) -> str:
        first = self._read_byte()
        if first == b"\x1b":
            # The rest of an escape sequence: arrows and page keys are named, anything else is ignored whole.
            return ESCAPE_SEQUENCES.get(self._drain(), ESCAPE)
        if first == CTRL_C.encode():  # only when ISIG is off; normally Ctrl-C arrives as SIGINT
            raise KeyboardInterrupt
        if first == CTRL_D.encode():
            raise EOFError
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        key = decoder.decode(first)
        while not key:  # a UTF-8 character may take several bytes
            key = decoder.decode(self._read_byte())
        return ENTER if key == "\r" else key

    @contextmanager
    def paused(self) -> Iterator[None]:
        self._restore()
        try:
            yield
        finally:
            self._cbreak()

    def _read_byte(self) -> bytes:
        data = os.read(self.fd, 1)
        if not data:
            raise EOFError
        return data

    def _drain(self) -> bytes:
        import select

        rest = b""
        while select.select([self.fd], [], [], 0.03)[0]:
            data = os.read(self.fd, 64)
            if not data:
                break
            rest += data
        return rest

    def _cbreak(self) -> None:
        import termios

        mode = termios.tcgetattr(self.fd)
        mode[3] &= ~(termios.ECHO | termios.ICANON)  # lflag: keys one at a time, not echoed; ISIG stays on
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        # TCSANOW, not TCSAFLUSH: keys typed ahead before the session started are kept.
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)

    def _restore(self) -> None:
        if self._saved is None:
            return
        import termios

        termios.tcsetattr(self.fd, termios.TCSADRAIN, self._saved)


class WindowsKeys:
    """Single keys from the Windows console (msvcrt)."""

    def __enter__(self) -> WindowsKeys:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read_key(self) -> str:
        import msvcrt

        key: str = msvcrt.getwch()  # type: ignore[attr-defined,unused-ignore]
        if key in ("\x00", "\xe0"):  # a function or arrow key: its second half says which; ignored
            msvcrt.getwch()  # type: ignore[attr-defined,unused-ignore]
            return ESCAPE
        if key == CTRL_C:
            raise KeyboardInterrupt
        if key in (CTRL_D, "\x1a"):
            raise EOFError
        return ENTER if key == "\r" else key

    def paused(self) -> AbstractContextManager[None]:
        return nullcontext()


def open_keys(stream: IO[str] | None = None) -> AbstractContextManager[KeyReader]:
    """The right reader for ``stream`` (default stdin): single keys on a terminal, lines otherwise."""
    stream = sys.stdin if stream is None else stream
    if _is_terminal(stream):
        if os.name == "nt":
            return WindowsKeys()
        try:
            import termios  # noqa: F401
        except ImportError:
            pass
        else:
            return TerminalKeys(stream.fileno())
    return nullcontext(LineKeys(stream))


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
