"""`dva-cards review`: the daily session, or cram."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .app import Command, app, state_of, within_sqlite
from .completers import complete_deck, complete_section
from .output import make_console, user_error

if TYPE_CHECKING:
    from ..terminal_screen import TerminalScreen


@app.command("review", cls=Command)
def review_command(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option(
            "--deck",
            metavar="NAME",
            help="Only this deck (default: all decks).",
            autocompletion=complete_deck,
        ),
    ] = None,
    new: Annotated[
        int | None,
        typer.Option(
            "--new",
            min=0,
            callback=within_sqlite,
            metavar="N",
            help="New cards in this session, instead of what is left of new-per-day.",
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=0,
            callback=within_sqlite,
            metavar="N",
            help="Due reviews in this session (cards, with --cram) instead of today's rest.",
        ),
    ] = None,
    cram: Annotated[
        bool, typer.Option("--cram", help="Practice any cards, shuffled; the schedule is not changed.")
    ] = False,
    section: Annotated[
        str | None,
        typer.Option(
            "--section",
            metavar="SECTION",
            help='With --cram: only this section, e.g. "Lambda" or "EC2 › EBS".',
            autocompletion=complete_section,
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", metavar="N", help="With --cram: a fixed shuffle.")
    ] = None,
) -> None:
    """Today's review session: due cards, then new ones, then drills. Keys: space shows, 0-5 grades, ? help."""

    from ..keys import open_keys
    from ..review import SessionOptions, launch_editor, run_session
    from ..settings import effective
    from ..starter_deck import import_if_empty

    if deck is not None and not deck.strip():
        raise user_error("--deck must not be empty")
    if section is not None and not cram:
        raise user_error("--section works with --cram only (a daily session always covers whole decks)")
    if section is not None and not section.strip():
        raise user_error("--section must not be empty")
    if cram and new is not None:
        raise user_error("--new applies to the daily session; --cram takes --limit")
    if seed is not None and not cram:
        raise user_error("--seed works with --cram only")
    console = make_console()
    state = state_of(ctx)
    with state.open_store() as store:
        settings = effective(store.settings())
        starter = import_if_empty(store, deck, state.now())
        notice = None
        if starter is not None:
            notice = f"Imported the bundled deck {starter.name} ({starter.cards} cards) into your empty collection."
            console.print(
                f"Your collection was empty, so the bundled deck {starter.name} was imported "
                f"({starter.cards} cards). Add your own notes with: dva-cards import NOTES.md",
                markup=False,
            )
        options = SessionOptions(
            deck=deck, cram=cram, section=section, new_limit=new, review_limit=limit, seed=seed
        )
        with open_keys() as keys:
            screen = full_screen(keys)
            run_session(
                store, settings, now=state.now, console=console, keys=keys, options=options,
                edit=launch_editor, screen=screen, notice=notice,
            )  # fmt: skip
    if screen is not None and screen.killed_by is not None:
        raise typer.Exit(128 + screen.killed_by)  # SIGTERM/SIGHUP: summary printed, terminal restored


def full_screen(keys: object) -> TerminalScreen | None:
    """The full-screen display when keys come one at a time from a terminal and stdout is that terminal."""
    import sys

    from ..keys import TerminalKeys

    if not isinstance(keys, TerminalKeys) or not sys.stdout.isatty():
        return None
    from ..terminal_screen import TerminalScreen

    return TerminalScreen(sys.stdout, keys)
