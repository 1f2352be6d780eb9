"""`dva-cards config`: per-collection settings."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import app, state_of
from .output import make_console, print_json

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


@config_app.command("get")
def config_get_command(
    ctx: typer.Context, key: Annotated[str, typer.Argument(help="A setting (see `config list`).")]
) -> None:
    """Print the value in use for one setting."""
    from ..settings import normalize_key, typed_value

    canonical = normalize_key(key)
    with state_of(ctx).open_store() as store:
        stored = store.settings()
    typer.echo(str(typed_value(canonical, stored)))


@config_app.command("set")
def config_set_command(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="A setting (see `config list`).")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
) -> None:
    """Change a setting of this collection."""
    from ..settings import normalize_key, parse_value

    canonical = normalize_key(key)
    text = parse_value(canonical, value)  # refused before the collection is even opened
    with state_of(ctx).open_store() as store:
        store.set_setting(canonical, text)
    typer.echo(f"{canonical} = {text}")


@config_app.command("unset")
def config_unset_command(
    ctx: typer.Context, key: Annotated[str, typer.Argument(help="A setting (see `config list`).")]
) -> None:
    """Put a setting back to its default."""
    from ..settings import SETTINGS, normalize_key

    canonical = normalize_key(key)
    with state_of(ctx).open_store() as store:
        store.unset_setting(canonical)
    typer.echo(f"{canonical} = {SETTINGS[canonical].default} (default)")
