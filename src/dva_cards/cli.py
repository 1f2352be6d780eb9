"""The `dva-cards` command line: parse options, call the core, render. No SQL, no SM-2 arithmetic.

Module-level imports stay light (typer only) so `--help` and `--version` start fast; each command imports
what it needs when it runs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from . import __version__

if TYPE_CHECKING:
    from .domain import CardRow
    from .importer import ImportResult
    from .store import Store


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
            return self.db
        from .collection import default_collection_path

        return default_collection_path()

    def open_store(self) -> Store:
        from .store import Store

        return Store.open(self.collection_path())


class _Commands(TyperGroup):
    """Turns anticipated failures into one line on stderr and a non-zero exit, for every command."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            _fail(ctx, "interrupted; nothing was left half-written", 130)
        except BrokenPipeError:
            _reader_went_away()
        except Exception as error:
            state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
            if state.debug:
                raise
            message, code = _describe(error)
            _fail(ctx, message, code)


def _describe(error: Exception) -> tuple[str, int]:
    from .errors import UserError

    if isinstance(error, UserError):
        return error.message, error.exit_code
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
        return "the collection is busy: another dva-cards is writing to it; try again", 2
    if sqlite3 is not None and isinstance(error, sqlite3.DatabaseError):
        if any(cause in str(error) for cause in ("full", "readonly", "disk I/O")):
            return f"could not write to the collection, the change in progress was not saved: {error}", 2
        return f"the collection cannot be read: {error}", 2
    if isinstance(error, OSError):
        return f"{error.strerror or error}: {error.filename or ''}".rstrip(": "), 1
    return f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)", 70


def _fail(ctx: Any, message: str, code: int) -> NoReturn:
    flat = " ".join(str(message).split())
    typer.echo(f"dva-cards: error: {flat}", err=True)
    ctx.exit(code)
    raise AssertionError("unreachable")  # ctx.exit raises


app = typer.Typer(
    cls=_Commands,
    name="dva-cards",
    help="Spaced-repetition flashcards from your own markdown notes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
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


def _state(ctx: typer.Context) -> AppState:
    state = ctx.find_root().obj
    assert isinstance(state, AppState)
    return state


# -- import ---------------------------------------------------------------------------------------------------


@app.command("import")
def import_command(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Markdown files, or directories searched for *.md.")],
    deck: Annotated[str | None, typer.Option("--deck", help="Deck name (default: each file's stem).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete cards whose bullet is gone (retired).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every skipped item.")] = False,
) -> None:
    """Turn the bullet definitions of markdown notes into cards (one transaction)."""

    from .importer import import_notes, load_notes

    state = _state(ctx)
    if deck is not None and not deck.strip():
        raise _user_error("--deck must not be empty")
    notes = load_notes(paths)
    now = state.now()
    with _store_for(state, dry_run) as store, _import_progress(notes, quiet=as_json) as progress:
        result = import_notes(store, notes, now, deck=deck, dry_run=dry_run, prune=prune, progress=progress)
    if as_json:
        _print_json(result.to_json())
    else:
        _render_import(result, dry_run=dry_run, verbose=verbose, files=len(notes))


def _store_for(state: AppState, dry_run: bool) -> Any:
    """The collection; for a dry run without a collection yet, a throwaway one, so nothing is created."""
    from contextlib import contextmanager

    from .store import Store

    path = state.collection_path()
    if not dry_run or path.exists():
        return state.open_store()

    @contextmanager
    def scratch() -> Any:
        import tempfile

        with (
            tempfile.TemporaryDirectory(prefix="dva-cards-dry-run-") as tmp,
            Store.open(Path(tmp) / "collection.db") as store,
        ):
            yield store

    return scratch()


def _import_progress(notes: list[Any], *, quiet: bool) -> Any:
    """A Rich progress bar on a terminal, for imports big enough to wait for."""
    from contextlib import nullcontext

    total_bytes = sum(len(note.data) for note in notes)
    if quiet or not sys.stderr.isatty() or (len(notes) < 2 and total_bytes < 1_000_000):
        return nullcontext(None)
    from contextlib import contextmanager

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @contextmanager
    def bar() -> Any:
        with Progress(
            TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(stderr=True), transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("import", total=len(notes))
            yield lambda note, done: progress.update(task, completed=done)

    return bar()


def _render_import(result: ImportResult, *, dry_run: bool, verbose: bool, files: int) -> None:
    from rich.table import Table

    counts = result.counts

    console = _console()
    title = f"{'would import' if dry_run else 'imported'} {files} file{'s' if files != 1 else ''}"
    console.print(title, markup=False)  # not a table title: that would wrap to the narrow table's width
    table = Table(show_header=False)
    table.add_column("", style="bold")
    table.add_column("", justify="right")
    for label, value in (
        ("added", counts.added),
        ("updated", counts.updated),
        ("unchanged", counts.unchanged),
        ("retired", counts.retired),
        ("restored", counts.restored),
        ("pruned", counts.pruned),
        ("skipped", len(result.skipped)),
    ):
        if value or label in ("added", "updated", "unchanged", "retired", "skipped"):
            table.add_row(label, str(value))
    console.print(table)
    if verbose:
        for item in result.skipped:
            console.print(
                f"skipped {item.source}:{item.line}: {item.reason}: {item.text}",
                markup=False,
                soft_wrap=True,
            )
    elif result.skipped:
        console.print(f"{len(result.skipped)} skipped (empty definitions); --verbose lists them", style="dim")
    if dry_run and result.cards:
        cards = Table("front", "context", "back", title="cards it would add", title_justify="left")
        for card in result.cards:
            cards.add_row(_plain(card.front), _plain(card.context), _plain(_first_line(card.back)))
        console.print(cards)
    if dry_run:
        console.print("dry run: the collection was not changed", style="dim")


# -- cards ----------------------------------------------------------------------------------------------------


@app.command("cards")
def cards_command(
    ctx: typer.Context,
    deck: Annotated[str | None, typer.Option("--deck", help="Only this deck.")] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Text in front, back or context.")
    ] = None,
    include_retired: Annotated[bool, typer.Option("--retired", help="Include retired cards.")] = False,
    only_suspended: Annotated[bool, typer.Option("--suspended", help="Only suspended cards.")] = False,
    only_leeches: Annotated[bool, typer.Option("--leeches", help="Only leeches.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most this many cards.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Browse the cards in the collection."""
    with _state(ctx).open_store() as store:
        cards = store.cards(
            deck=deck,
            search=search,
            include_retired=include_retired,
            only_suspended=only_suspended,
            only_leeches=only_leeches,
            limit=limit,
        )
    if as_json:
        _print_json([card.to_json() for card in cards])
        return
    from rich.table import Table

    console = _console()
    if not cards:
        console.print("no cards match", markup=False)
        return
    table = Table(expand=True)
    # One line a card: long contexts and answers are cut with an ellipsis rather than wrapped.
    table.add_column("id", no_wrap=True)
    table.add_column("deck", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("context", no_wrap=True, overflow="ellipsis", ratio=2)
    table.add_column("front", no_wrap=True, overflow="ellipsis", ratio=2)
    table.add_column("back", no_wrap=True, overflow="ellipsis", ratio=3)
    table.add_column("due", no_wrap=True)
    table.add_column("ivl", no_wrap=True, justify="right")
    for card in cards:
        table.add_row(
            card.id[:8],
            _plain(card.deck),
            _plain(card.context),
            _plain(card.front),
            _plain(_first_line(card.back)),
            _card_status(card),
            str(card.interval),
        )
    console.print(table)
    console.print(f"{len(cards)} card{'s' if len(cards) != 1 else ''}", style="dim")


def _card_status(card: CardRow) -> str:
    if card.retired:
        return "retired"
    if card.suspended:
        return "suspended"
    return str(card.due or "new")


@app.command("suspend")
def suspend_command(
    ctx: typer.Context,
    card_ids: Annotated[
        list[str], typer.Argument(help="Card ids (or their first digits, as `cards` shows).")
    ],
) -> None:
    """Take cards out of review until they are unsuspended."""
    _set_suspended(ctx, card_ids, suspended=True)


@app.command("unsuspend")
def unsuspend_command(
    ctx: typer.Context,
    card_ids: Annotated[
        list[str], typer.Argument(help="Card ids (or their first digits, as `cards` shows).")
    ],
) -> None:
    """Bring suspended cards back into review (`cards --suspended` lists them)."""
    _set_suspended(ctx, card_ids, suspended=False)


def _set_suspended(ctx: typer.Context, card_ids: list[str], *, suspended: bool) -> None:
    with _state(ctx).open_store() as store:
        resolved = store.resolve_card_ids(card_ids)  # every id checked before anything changes
        changed = store.set_suspended_many(resolved, suspended)
    verb = "suspended" if suspended else "unsuspended"
    typer.echo(
        f"{verb} {changed} card{'s' if changed != 1 else ''}"
        + (f" ({len(resolved) - changed} already {verb})" if changed != len(resolved) else "")
    )


# -- export ---------------------------------------------------------------------------------------------------


@app.command("export")
def export_command(
    ctx: typer.Context,
    path: Annotated[
        Path, typer.Argument(help="Output file: .apkg (Anki package), or .txt/.tsv/.csv (Anki text import).")
    ],
    deck: Annotated[str | None, typer.Option("--deck", help="Only this deck.")] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="apkg|csv", help="apkg or csv (default: from the file's extension)."
        ),
    ] = None,
) -> None:
    """Write the cards for Anki (desktop, AnkiDroid, AnkiMobile); exporting again updates them in place."""
    import time

    from .export import export_cards, format_for

    chosen = format_for(path, fmt)
    with _state(ctx).open_store() as store:
        cards = store.cards(deck=deck)
    summary = export_cards(cards, path, chosen, timestamp=time.time(), deck=deck)
    notes = f"{summary.notes} card{'s' if summary.notes != 1 else ''}"
    decks = f"{len(summary.decks)} Anki deck{'s' if len(summary.decks) != 1 else ''}"
    suspended = f", {summary.suspended} suspended (tagged dva-cards::suspended)" if summary.suspended else ""
    typer.echo(f"exported {notes} in {decks}{suspended} to {path}")


# -- review ---------------------------------------------------------------------------------------------------


@app.command("review")
def review_command(
    ctx: typer.Context,
    deck: Annotated[str | None, typer.Option("--deck", help="Only this deck (default: all decks).")] = None,
    new: Annotated[
        int | None,
        typer.Option(
            "--new", min=0, help="New cards in this session, instead of what is left of new-per-day."
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=0, help="Due reviews in this session (cards, with --cram) instead of today's rest."
        ),
    ] = None,
    cram: Annotated[
        bool, typer.Option("--cram", help="Practice any cards, shuffled; the schedule is not changed.")
    ] = False,
    section: Annotated[
        str | None,
        typer.Option("--section", help='With --cram: only this section, e.g. "Lambda" or "EC2 › EBS".'),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="With --cram: a fixed shuffle.")] = None,
) -> None:
    """Today's review session: due cards, then new ones, then drills. Keys: space shows, 0-5 grades, ? help."""

    from .keys import open_keys
    from .review import SessionOptions, launch_editor, run_session
    from .settings import effective

    if deck is not None and not deck.strip():
        raise _user_error("--deck must not be empty")
    if section is not None and not cram:
        raise _user_error("--section works with --cram only (a daily session always covers whole decks)")
    if section is not None and not section.strip():
        raise _user_error("--section must not be empty")
    if cram and new is not None:
        raise _user_error("--new applies to the daily session; --cram takes --limit")
    if seed is not None and not cram:
        raise _user_error("--seed works with --cram only")
    console = _console()
    state = _state(ctx)
    with state.open_store() as store:
        settings = effective(store.settings())
        _import_bundled_deck_if_empty(store, deck, console, state.now())
        options = SessionOptions(
            deck=deck, cram=cram, section=section, new_limit=new, review_limit=limit, seed=seed
        )
        with open_keys() as keys:
            run_session(
                store, settings, now=state.now, console=console, keys=keys, options=options,
                edit=launch_editor,
            )  # fmt: skip


def _import_bundled_deck_if_empty(store: Store, deck: str | None, console: Any, at: datetime) -> None:
    """A fresh install has something to review: the bundled AWS DVA deck, imported on the first review.

    Only into a collection that never had a deck: one whose own notes gave no cards, or were all pruned, is
    the learner's own and stays as it is.
    """
    if store.deck_names():
        return

    from .importer import import_notes, load_notes
    from .resources import bundled_deck

    notes_path = bundled_deck()
    name = notes_path.stem
    if deck is not None and deck != name:
        store.require_deck(deck)  # the unknown-deck error, before anything is written
    result = import_notes(store, load_notes([notes_path]), at, deck=name)
    console.print(
        f"Your collection was empty, so the bundled deck {name} was imported ({result.counts.added} cards). "
        "Add your own notes with: dva-cards import NOTES.md",
        markup=False,
    )


# -- config ---------------------------------------------------------------------------------------------------

config_app = typer.Typer(
    help="Per-collection settings: new-per-day, reviews-per-day, rollover-hour, leech-threshold, leech-action.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config")


@config_app.command("list")
def config_list_command(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object of the values in use.")
    ] = False,
) -> None:
    """Every setting, its value in use and what it does."""
    from .settings import SETTINGS, typed_value

    with _state(ctx).open_store() as store:
        stored = store.settings()
    values = {key: typed_value(key, stored) for key in SETTINGS}
    if as_json:
        _print_json(values)
        return
    from rich.table import Table

    table = Table("setting", "value", "", "meaning", title_justify="left")
    for key, setting in SETTINGS.items():
        origin = "(default)" if key not in stored else f"(default {setting.default})"
        table.add_row(key, str(values[key]), origin, setting.help)
    _console().print(table)


@config_app.command("get")
def config_get_command(
    ctx: typer.Context, key: Annotated[str, typer.Argument(help="A setting (see `config list`).")]
) -> None:
    """Print the value in use for one setting."""
    from .settings import normalize_key, typed_value

    canonical = normalize_key(key)
    with _state(ctx).open_store() as store:
        stored = store.settings()
    typer.echo(str(typed_value(canonical, stored)))


@config_app.command("set")
def config_set_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A setting (see `config list`).")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Change a setting of this collection."""
    from .settings import normalize_key, parse_value

    canonical = normalize_key(key)
    text = parse_value(canonical, value)  # refused before the collection is even opened
    with _state(ctx).open_store() as store:
        store.set_setting(canonical, text)
    typer.echo(f"{canonical} = {text}")


@config_app.command("unset")
def config_unset_command(
    ctx: typer.Context, key: Annotated[str, typer.Argument(help="A setting (see `config list`).")]
) -> None:
    """Put a setting back to its default."""
    from .settings import SETTINGS, normalize_key

    canonical = normalize_key(key)
    with _state(ctx).open_store() as store:
        store.unset_setting(canonical)
    typer.echo(f"{canonical} = {SETTINGS[canonical].default} (default)")


# -- stats ----------------------------------------------------------------------------------------------------


@app.command("stats")
def stats_command(
    ctx: typer.Context,
    deck: Annotated[
        str | None, typer.Option("--deck", help="Only this deck (an unknown name is an error).")
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=365, help="Days of forecast and of the retention window.")
    ] = 30,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the screen.")
    ] = False,
) -> None:
    """Where you stand: due today, streak, collection, forecast, heatmap, retention, weak areas."""

    from . import stats
    from .clock import learner_today
    from .scheduler import START_EASE
    from .settings import effective

    state = _state(ctx)
    with state.open_store() as store:
        deck_id = None if deck is None else store.require_deck(deck)
        settings = effective(store.settings())
        window = stats.window(learner_today(state.now(), settings.rollover_hour), days)
        raw = store.stats_rows(
            today=window.today,
            retention_start=window.retention_start,
            forecast_end=window.forecast_end,
            heat_start=window.heat_start,
            deck_id=deck_id,
            interval_edges=stats.INTERVAL_EDGES,
            mature_days=stats.MATURE_DAYS,
            learning_reps=stats.LEARNING_REPS,
            start_ease=START_EASE,
            hardest_limit=stats.HARDEST_LIMIT,
        )
    figures = stats.summarize(
        stats.rows_from_store(raw),
        window,
        new_per_day=settings.new_per_day,
        rollover_hour=settings.rollover_hour,
        deck=deck,
    )
    if as_json:
        _print_json(stats.to_json(figures))
        return
    from .render_stats import render

    render(figures, _console())


# -- helpers --------------------------------------------------------------------------------------------------


def _console() -> Any:
    from rich.console import Console

    class PipeFriendlyConsole(Console):
        def on_broken_pipe(self) -> None:
            _reader_went_away()

    return PipeFriendlyConsole(highlight=False)


def _reader_went_away() -> NoReturn:
    """Output piped into `head` and the like: the reader has what it wanted, so stop quietly and succeed."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the interpreter's final flush must not fail again
    raise SystemExit(0)


def _plain(text: str) -> Any:
    """Note text as Rich Text: `[red]` in a note prints literally, never as markup."""
    from rich.text import Text

    return Text(text)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    if not lines:
        return ""
    return lines[0] + (" …" if len(lines) > 1 else "")


def _print_json(value: Any) -> None:
    import json

    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def _user_error(message: str) -> Exception:
    from .errors import UserError

    return UserError(message)


def main() -> None:
    app()
