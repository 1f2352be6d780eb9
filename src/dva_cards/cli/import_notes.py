"""`dva-cards import`: parse the options, import, render the summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import Command, app, state_of
from .completers import complete_deck
from .output import first_line, flush_or_drop_stdout, make_console, neutral, plain, print_json, user_error

if TYPE_CHECKING:
    from ..domain import MovedCard
    from ..importer import ImportResult


@app.command("import", cls=Command)
def import_command(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(metavar="PATH...", help="Markdown files, or directories searched for *.md."),
    ],
    deck: Annotated[
        str | None,
        typer.Option(
            "--deck",
            metavar="NAME",
            help="Deck name (default: a directory's name, or a file's stem).",
            autocompletion=complete_deck,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete cards whose bullet is gone (retired).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of a table.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="List every moved card and every item not carded.")
    ] = False,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="List every item that looks like a definition but is not carded."),
    ] = False,
) -> None:
    """Turn the bullet definitions of markdown notes into cards (one transaction)."""

    from ..importer import import_notes, load_notes
    from ..starter_deck import owning_file_exists
    from ..store import Store

    state = state_of(ctx)
    path = state.collection_path()
    if deck is not None and not deck.strip():
        raise user_error("--deck must not be empty")
    notes = load_notes(paths)
    now = state.now()
    store_cm = Store.for_dry_run(path) if dry_run else Store.open(path)
    with store_cm as store, _import_progress(notes, quiet=as_json) as progress:
        result = import_notes(
            store, notes, now, deck=deck, dry_run=dry_run, prune=prune, progress=progress,
            file_exists=owning_file_exists,
        )  # fmt: skip
    # The import is committed before its summary is printed: a summary that cannot be written (stdout on a
    # full disk) is reported as such, and the import stays -- running it again changes nothing.
    try:
        if as_json:
            print_json(result.to_json())
        else:
            _render_import(result, dry_run=dry_run, verbose=verbose, explain=explain, files=len(notes))
        failed = flush_or_drop_stdout()
    except BrokenPipeError:
        raise
    except OSError as error:
        failed = error
    if failed is not None:
        flush_or_drop_stdout()
        saved = "nothing was changed" if dry_run else "the import was saved"
        raise user_error(f"{saved}, but its summary could not be written: {failed.strerror or failed}")


def _import_progress(notes: list[Any], *, quiet: bool) -> Any:
    """A Rich progress bar on a terminal, for imports big enough to wait for."""
    from contextlib import nullcontext

    total_bytes = sum(note.size for note in notes)
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


def _render_import(result: ImportResult, *, dry_run: bool, verbose: bool, explain: bool, files: int) -> None:
    from rich.table import Table

    counts = result.counts

    console = make_console()
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
        ("moved", counts.moved),
        ("not carded", len(result.skipped)),
    ):
        if value or label in ("added", "updated", "unchanged", "retired", "not carded"):
            table.add_row(label, str(value))
    console.print(table)
    if verbose or dry_run:
        for move in result.moves:
            console.print(f"moved {describe_move(move)}", markup=False, soft_wrap=True)
    elif result.moves:
        console.print(f"{len(result.moves)} moved (history kept); --verbose lists them", style="dim")
    if verbose or explain:
        for item in result.skipped:
            console.print(
                f"{neutral(_shown_path(item.source))}:{item.line}: {item.reason}: {neutral(item.text)}",
                markup=False,
                soft_wrap=True,
            )
    elif result.skipped:
        console.print(f"not carded: {len(result.skipped)} — see --explain", markup=False)
    if dry_run and result.cards:
        cards = Table("front", "context", "back", title="cards it would add", title_justify="left")
        for card in result.cards:
            cards.add_row(plain(card.front), plain(card.context), plain(first_line(card.back)))
        console.print(cards)
    if dry_run:
        console.print("dry run: the collection was not changed", style="dim")


def describe_move(move: MovedCard) -> str:
    """`old context › term → new context`, and the new term too when it changed."""
    from ..identity import CONTEXT_SEPARATOR

    old = CONTEXT_SEPARATOR.join(part for part in (move.old_context, move.old_front) if part)
    new = move.context or "(top of the file)"
    if move.front != move.old_front:
        new = CONTEXT_SEPARATOR.join(part for part in (move.context, move.front) if part)
    if move.source != move.old_source:
        new += f" (in {move.source})"
    return f"{old} → {new}"


def _shown_path(source: str) -> str:
    """A notes file as the learner would type it: relative to the current directory when under it."""
    import os

    try:
        relative = os.path.relpath(source)
    except ValueError:  # another drive on Windows
        return source
    return source if relative.startswith("..") else relative
