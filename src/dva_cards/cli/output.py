"""What every command prints with: a pipe-friendly console, JSON on stdout, note text that is never markup."""

from __future__ import annotations

import sys
from typing import Any, NoReturn


def make_console() -> Any:
    from rich.console import Console

    class PipeFriendlyConsole(Console):
        def on_broken_pipe(self) -> None:
            reader_went_away()

    return PipeFriendlyConsole(highlight=False)


def reader_went_away() -> NoReturn:
    """Output piped into `head` and the like: the reader has what it wanted, so stop quietly and succeed."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    raise SystemExit(0)


def flush_or_drop_stdout() -> OSError | None:
    """Flush stdout; if that fails (a full disk, a vanished device), drop what is left so the interpreter's
    own final flush does not fail a second time, and return the error for the one-line report."""
    import os

    try:
        sys.stdout.flush()
    except OSError as error:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return error
    except ValueError:  # already closed
        return None
    return None


def plain(text: str) -> Any:
    """Note text or a name as Rich Text: `[red]` prints literally, never as markup; control characters are
    neutralised (a collection made by an older version, or a deck named after a hostile file)."""
    from rich.text import Text

    from ..neutral import neutral_text

    return Text(neutral_text(text))


def neutral(name: object) -> str:
    """A name (file, deck, section, setting) for one line of terminal output."""
    from ..neutral import neutral_name

    return neutral_name(str(name))


def prepare_streams() -> None:
    """Make any terminal, pipe or missing stream work before a command prints anything.

    A closed stdin, stdout or stderr (`<&-`, `>&-`) would let the next file opened -- the collection itself --
    take descriptor 0, 1 or 2, and printed text could land in it: each closed one is held open on the null
    device, so `>&-` reads like `>/dev/null` and `<&-` like an empty input. Output in an encoding that cannot
    show a character (a non-UTF-8 locale) prints a replacement character instead of failing.
    """
    import io
    import os

    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        try:
            os.fstat(fd)
        except OSError:
            held = os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: this very one
            if held != fd:
                os.close(held)
                continue
            mode = "r" if fd == 0 else "w"
            setattr(sys, name, io.TextIOWrapper(io.FileIO(fd, mode, closefd=False), encoding="utf-8"))
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    if not lines:
        return ""
    return lines[0] + (" …" if len(lines) > 1 else "")


def print_json(value: Any) -> None:
    import json

    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def user_error(message: str) -> Exception:
    from ..errors import UserError

    return UserError(message)
