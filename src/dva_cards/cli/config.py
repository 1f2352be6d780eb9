"""`dva-cards config`: per-collection settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from ..humanize import count
from .app import Command, app, state_of
from .completers import complete_setting, complete_setting_value
from .output import make_console, print_json, user_error

if TYPE_CHECKING:
    from ..store import Store

T = TypeVar("T")

config_app = typer.Typer(
    help="Per-collection settings: new-per-day, reviews-per-day, rollover-hour, leech-threshold, leech-action, "
    "scheduler, desired-retention, maximum-interval, sync-url.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(config_app, name="config")


@config_app.command("list", cls=Command)
def config_list_command(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object of the values in use.")
    ] = False,
) -> None:
    """Every setting, its value in use and what it does."""
    from ..settings import SETTINGS, typed_value

    with state_of(ctx).open_store() as store:
        stored = store.settings()
    values = {key: typed_value(key, stored) for key in SETTINGS}
    if as_json:
        print_json(values)
        return
    from rich.table import Table

    table = Table("setting", "value", "", "meaning", title_justify="left")
    for key, setting in SETTINGS.items():
        origin = "(default)" if key not in stored else f"(default {setting.default})"
        table.add_row(key, str(values[key]), origin, setting.help)
    make_console().print(table)


@config_app.command("get", cls=Command)
def config_get_command(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(metavar="KEY", help="A setting (see `config list`).", autocompletion=complete_setting),
    ],
) -> None:
    """Print the value in use for one setting."""
    from ..settings import normalize_key, typed_value

    canonical = normalize_key(key)
    with state_of(ctx).open_store() as store:
        stored = store.settings()
    typer.echo(str(typed_value(canonical, stored)))


# `config set new-per-day -5`: -5 is the value (refused by the setting's own check), not an unknown option.
@config_app.command("set", cls=Command, context_settings={"ignore_unknown_options": True})
def config_set_command(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(metavar="KEY", help="A setting (see `config list`).", autocompletion=complete_setting),
    ],
    value: Annotated[
        str, typer.Argument(metavar="VALUE", help="Its new value.", autocompletion=complete_setting_value)
    ],
    reschedule: Annotated[
        bool,
        typer.Option(
            "--reschedule",
            help="With `scheduler fsrs`: also give learned cards FSRS's due dates (default: keep them).",
        ),
    ] = False,
) -> None:
    """Change a setting of this collection. `scheduler` replays the review log for the new scheduler."""
    from ..settings import normalize_key, parse_value

    canonical = normalize_key(key)
    text = parse_value(canonical, value)  # refused before the collection is even opened
    if reschedule and (canonical, text) != ("scheduler", "fsrs"):
        raise user_error("--reschedule goes with `config set scheduler fsrs` only")
    with state_of(ctx).open_store() as store:
        if canonical == "scheduler":
            typer.echo(_switch_scheduler(store, text, reschedule=reschedule))
            return
        store.set_setting(canonical, text)
    typer.echo(f"{canonical} = {text}")


def _switch_scheduler(store: Store, name: str, *, reschedule: bool) -> str:
    """Make ``name`` the collection's scheduler and replay the log for it, in one transaction."""
    from ..scheduler_switch import replay_for_scheduler
    from ..scheduling import SchedulerName

    chosen = SchedulerName(name)
    with store.transaction():
        store.write_setting("scheduler", chosen.value)
        replayed = replay_for_scheduler(store, reschedule=reschedule)
    if chosen is SchedulerName.SM2:
        dates = "SM-2 states recomputed"
    elif reschedule:
        dates = f"{count(replayed.moved, 'due date')} moved"
    else:
        dates = "each card as its last answer left it"
    return (
        f"scheduler = {chosen.value} ({count(replayed.answers, 'answer')} of {count(replayed.cards, 'card')} "
        f"replayed; {dates})"
    )


@config_app.command("unset", cls=Command)
def config_unset_command(
    ctx: typer.Context,
    key: Annotated[
        str,
        typer.Argument(metavar="KEY", help="A setting (see `config list`).", autocompletion=complete_setting),
    ],
) -> None:
    """Put a setting back to its default."""
    from ..settings import SETTINGS, normalize_key

    canonical = normalize_key(key)
    with state_of(ctx).open_store() as store:
        if canonical == "scheduler":  # back to the default scheduler: its state comes from the log too
            typer.echo(_switch_scheduler(store, SETTINGS[canonical].default, reschedule=False))
            return
        store.unset_setting(canonical)
    typer.echo(f"{canonical} = {SETTINGS[canonical].default} (default)")
