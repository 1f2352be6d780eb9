"""The application object every command registers on: global options, the shared state and error handling."""

from __future__ import annotations

import errno
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from .output import reader_went_away

if TYPE_CHECKING:
    from ..store import Store


# The largest count an option takes: SQLite's largest integer (a LIMIT beyond it cannot even be bound).
MAX_COUNT = 2**63 - 1


def within_sqlite(value: int | None) -> int | None:
    """A count option's check beyond its `min`: a number too large for SQLite is a one-line usage error (a
    callback, not a `max`, so help does not show SQLite's limit)."""
    if value is not None and value > MAX_COUNT:
        raise typer.BadParameter(f"{value} is more than {MAX_COUNT}")
    return value


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    """What every command shares: the collection's path, --debug, and the clock (injected by tests)."""

    db: Path | None = None
    debug: bool = False
    now: Callable[[], datetime] = _system_clock

    def collection_path(self) -> Path:
        if self.db is not None:
            return self.db.expanduser()  # `--db=~/x` and a quoted `DVA_CARDS_DB='~/x'` reach us unexpanded
        from ..collection import default_collection_path

        return default_collection_path()

    def open_store(self) -> Store:
        from ..store import Store

        return Store.open(self.collection_path())


class _Commands(TyperGroup):
    """Turns anticipated failures into one line on stderr and a non-zero exit, for every command.

    Typer's own usage errors (a bad option value, a missing argument) are caught here too, so they read like
    every other failure instead of a multi-line usage box.
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from .output import prepare_streams

        prepare_streams()
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except typer.TyperException as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # `dva-cards` alone: the help, as before
                typer.echo(error.format_message(), err=True)
                sys.exit(error.exit_code)
            _print_error(error.format_message())
            sys.exit(error.exit_code)
        except typer.Abort:
            _print_error("interrupted; nothing was left half-written")
            sys.exit(130)
        from .output import flush_or_drop_stdout

        failed = flush_or_drop_stdout()
        if failed is not None:
            _print_error(f"could not write the output: {failed.strerror or failed}")
            sys.exit(1)
        # Without standalone mode an exit code comes back as the result; commands themselves return None.
        sys.exit(result if isinstance(result, int) else 0)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            _fail(ctx, "interrupted; nothing was left half-written", 130)
        except BrokenPipeError:
            reader_went_away()
        except Exception as error:
            state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
            if state.debug:
                raise
            message, code = _describe(error)
            _fail(ctx, message, code)


# Writing stdout or stderr fails with these when the disk is full or the device is gone.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EIO, errno.EBADF})


class Command(TyperCommand):
    """Usage lines as the README writes them, `dva-cards import [OPTIONS] PATH...`: Typer braces required
    arguments (`{PATH...}`), which reads like a set to pick from."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [piece.removeprefix("{").removesuffix("}") for piece in super().collect_usage_pieces(ctx)]


def _describe(error: Exception) -> tuple[str, int]:
    from ..errors import UserError

    if isinstance(error, UserError):
        return error.message, error.exit_code
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return "the collection is busy: another dva-cards is writing to it; try again", 2
    if sqlite3 is not None and isinstance(error, sqlite3.DatabaseError):
        if any(cause in str(error) for cause in ("full", "readonly", "disk I/O")):
            return f"could not write to the collection, the change in progress was not saved: {error}", 2
        return f"the collection cannot be read: {error}", 2
    if isinstance(error, OSError) and error.filename is None and error.errno in _OUTPUT_ERRNOS:
        return f"could not write the output: {error.strerror or error}", 1
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), 1
    return f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)", 70


def _print_error(message: str) -> None:
    from .output import neutral

    flat = " ".join(neutral(str(message)).split())
    from contextlib import suppress

    with suppress(OSError, ValueError):  # stderr gone: the exit status still tells
        typer.echo(f"dva-cards: error: {flat}", err=True)


def _fail(ctx: Any, message: str, code: int) -> NoReturn:
    from .output import flush_or_drop_stdout

    flush_or_drop_stdout()
    _print_error(message)
    ctx.exit(code)
    raise AssertionError("unreachable")  # ctx.exit raises


app = typer.Typer(
    cls=_Commands,
    name="dva-cards",
    help="Spaced-repetition flashcards from your own markdown notes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: Rich's panels print a Python type beside every argument (`<path>`, `<str>`).
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"dva-cards {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            metavar="FILE",
            envvar="DVA_CARDS_DB",
            help="Collection file (default: the platform data dir, or $DVA_CARDS_DB).",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    # A caller (a test) may hand in its own state, with its own clock: keep it.
    state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    state.db, state.debug = db, debug
    ctx.obj = state


def state_of(ctx: typer.Context) -> AppState:
    state = ctx.find_root().obj
    assert isinstance(state, AppState)
    return state
