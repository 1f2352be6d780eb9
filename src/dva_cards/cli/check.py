"""`dva-cards check`: verify a collection and say what was found; `--repair` rebuilds card state from the log."""

from __future__ import annotations

from typing import Annotated

import typer

from ..humanize import count
from .app import Command, app, state_of
from .output import neutral, user_error

_SHOWN = 5  # disagreeing cards listed by id; the rest are counted


@app.command("check", cls=Command)
def check_command(
    ctx: typer.Context,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair", help="Set each disagreeing card's state to the replay of its log, after a backup."
        ),
    ] = False,
) -> None:
    """Verify the collection: SQLite integrity, schema revision, and every card's state against its review log."""
    from ..collection import SCHEMA_HEAD, backup_collection, integrity_problems, open_for_check
    from ..replay import disagreements
    from ..store import Store

    path = state_of(ctx).collection_path()
    connection, revision = open_for_check(path)
    with Store(connection, path) as store:
        typer.echo(f"collection: {neutral(path)}")
        import sqlite3

        try:
            problems = integrity_problems(connection, quick=False)
        except sqlite3.DatabaseError as error:  # too damaged for the check itself to run
            problems = [str(error)]
        typer.echo(
            "integrity: "
            + ("ok" if not problems else f"{len(problems)} problems, first: {neutral(problems[0])}")
        )
        if problems:
            raise user_error(
                "the collection is damaged: restore a backup (`--repair` only rebuilds card state)"
            )
        if revision != SCHEMA_HEAD:
            typer.echo(
                f"schema: {revision}, older than this version's {SCHEMA_HEAD}: the next command upgrades it"
            )
            raise user_error(
                "check the collection again once it is upgraded (any command, e.g. `cards --limit 1`)"
            )
        typer.echo(f"schema: {revision} (current)")
        cards, reviews = store.counts()
        typer.echo(f"cards: {cards} · reviews: {reviews}")
        from ..settings import effective

        found = disagreements(
            store.card_logs(), effective(store.settings()).scheduling, merged=store.log_merged()
        )
        differing = [item for item in found if item.state_differs]
        broken = sum(len(item.broken_links) for item in found)
        if broken:
            typer.echo(
                f"log: {count(broken, 'answer')} given on a state an earlier answer had already "
                "changed (two sessions at once, or a scheduler switch in between); the log is kept as it is"
            )
        if not differing:
            typer.echo("card state: every card equals the replay of its review log")
            return
        ids = ", ".join(item.card_id for item in differing[:_SHOWN])
        more = f" and {len(differing) - _SHOWN} more" if len(differing) > _SHOWN else ""
        typer.echo(
            f"card state: {count(len(differing), 'card')} {'differs' if len(differing) == 1 else 'differ'} from the replay of the review log: {ids}{more}"
        )
        if not repair:
            raise user_error(
                "card state and review log disagree: `dva-cards check --repair` rebuilds the state from the log"
            )
        backup = backup_collection(path, "repair")
        fixed = store.repair_states(differing)
        typer.echo(
            f"repaired: {count(fixed, 'card')} set to the replay of the review log (backup: {neutral(backup)})"
        )
        if fixed != len(differing):
            raise user_error("some cards changed while they were repaired: run `dva-cards check` again")
