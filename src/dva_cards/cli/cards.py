"""`dva-cards cards`, `suspend` and `unsuspend`: browse cards and set them aside."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .app import Command, app, state_of, within_sqlite
from .completers import complete_deck, complete_suspendable, complete_suspended
from .output import make_console, neutral, plain, print_json

if TYPE_CHECKING:
    from ..domain import CardRow


@app.command("cards", cls=Command)
def cards_command(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", metavar="NAME", help="Only this deck.", autocompletion=complete_deck),
    ] = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", metavar="TEXT", help="Text in front, back or context.")
    ] = None,
    include_retired: Annotated[bool, typer.Option("--retired", help="Include retired cards.")] = False,
    only_suspended: Annotated[bool, typer.Option("--suspended", help="Only suspended cards.")] = False,
    only_leeches: Annotated[bool, typer.Option("--leeches", help="Only leeches.")] = False,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=1, callback=within_sqlite, metavar="N", help="At most this many cards."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Browse the cards in the collection: a table on a terminal, one tab-separated line a card otherwise."""
    with state_of(ctx).open_store() as store:
        # Human output says how many matched when --limit cuts the list, so it reads them all.
        matched = store.cards(
            deck=deck,
            search=search,
            include_retired=include_retired,
            only_suspended=only_suspended,
            only_leeches=only_leeches,
            limit=limit if as_json else None,
        )
    cards = matched if limit is None else matched[:limit]
    if as_json:
        print_json([card.to_json() for card in cards])
        return
    if not sys.stdout.isatty():
        _print_lines(cards)
        if not cards:
            print("no cards match", file=sys.stderr)
        return
    console = make_console()
    if not cards:
        console.print("no cards match", markup=False)
        return
    console.print(_table(cards))
    console.print(cards_count(len(cards), len(matched)), style="dim", markup=False)


def cards_count(shown: int, matched: int) -> str:
    """`81 cards`, or `25 of 81 cards` when a limit cut the list."""
    noun = "card" if matched == 1 else "cards"
    return f"{matched} {noun}" if shown == matched else f"{shown} of {matched} {noun}"


def _print_lines(cards: list[CardRow]) -> None:
    """Pipes and files: each card on one line, whole (no column is cut), fields separated by tabs:
    id, deck, context, front, the answer's first line, due (or new/suspended/retired), interval."""
    from ..plain_text import first_line_plain, strip_markdown

    out = sys.stdout
    for card in cards:
        fields = (
            card.id[:8], card.deck, strip_markdown(card.context), strip_markdown(card.front),
            first_line_plain(card.back), _card_status(card), str(card.interval),
        )  # fmt: skip
        # A pipe often ends on a terminal (`| less -R`, `| cat`): names and text are neutralised there too.
        out.write("\t".join(" ".join(neutral(field).split()) for field in fields) + "\n")


def _table(cards: list[CardRow]) -> Any:
    from rich.table import Table

    from ..plain_text import first_line_plain, strip_markdown

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
            plain(card.deck),
            plain(strip_markdown(card.context)),
            plain(strip_markdown(card.front)),
            plain(first_line_plain(card.back)),
            _card_status(card),
            str(card.interval),
        )
    return table


def _card_status(card: CardRow) -> str:
    if card.retired:
        return "retired"
    if card.suspended:
        return "suspended"
    return str(card.due or "new")


@app.command("suspend", cls=Command)
def suspend_command(
    ctx: typer.Context,
    card_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="Card ids (or their first digits, as `cards` shows).",
            autocompletion=complete_suspendable,
        ),
    ],
) -> None:
    """Take cards out of review until they are unsuspended."""
    _set_suspended(ctx, card_ids, suspended=True)


@app.command("unsuspend", cls=Command)
def unsuspend_command(
    ctx: typer.Context,
    card_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="ID...",
            help="Card ids (or their first digits, as `cards` shows).",
            autocompletion=complete_suspended,
        ),
    ],
) -> None:
    """Bring suspended cards back into review (`cards --suspended` lists them)."""
    _set_suspended(ctx, card_ids, suspended=False)


def _set_suspended(ctx: typer.Context, card_ids: list[str], *, suspended: bool) -> None:
    with state_of(ctx).open_store() as store:
        resolved = store.resolve_card_ids(card_ids)  # every id checked before anything changes
        changed = store.set_suspended_many(resolved, suspended)
    verb = "suspended" if suspended else "unsuspended"
    typer.echo(
        f"{verb} {changed} card{'s' if changed != 1 else ''}"
        + (f" ({len(resolved) - changed} already {verb})" if changed != len(resolved) else "")
    )
