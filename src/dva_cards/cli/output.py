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


def plain(text: str) -> Any:
    """Note text as Rich Text: `[red]` in a note prints literally, never as markup."""
    from rich.text import Text

    return Text(text)


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
