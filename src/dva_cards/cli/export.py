"""`dva-cards export`: write the cards for Anki."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .app import Command, app, state_of
from .completers import complete_deck, complete_export_format
from .output import neutral


@app.command("export", cls=Command)
def export_command(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="Output file: .apkg (Anki package), or .txt/.tsv/.csv (Anki text import)."
        ),
    ],
    deck: Annotated[
        str | None,
        typer.Option("--deck", metavar="NAME", help="Only this deck.", autocompletion=complete_deck),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="apkg|csv",
            help="apkg or csv (default: from the file's extension).",
            autocompletion=complete_export_format,
        ),
    ] = None,
) -> None:
    """Write the cards for Anki (desktop, AnkiDroid, AnkiMobile); exporting again updates them in place."""
    import time

    from ..export import export_cards, format_for

    path = path.expanduser()
    chosen = format_for(path, fmt)
    with state_of(ctx).open_store() as store:
        cards = store.cards(deck=deck)
    summary = export_cards(cards, path, chosen, timestamp=time.time(), deck=deck)
    notes = f"{summary.notes} card{'s' if summary.notes != 1 else ''}"
    decks = f"{len(summary.decks)} Anki deck{'s' if len(summary.decks) != 1 else ''}"
    suspended = f", {summary.suspended} suspended (tagged dva-cards::suspended)" if summary.suspended else ""
    typer.echo(f"exported {notes} in {decks}{suspended} to {neutral(path)}")
