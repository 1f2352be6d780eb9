"""`dva-cards stats`: where the learner stands."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Command, app, state_of
from .output import make_console, print_json


@app.command("stats", cls=Command)
def stats_command(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option("--deck", metavar="NAME", help="Only this deck (an unknown name is an error)."),
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            "--days", min=1, max=365, metavar="N", help="Days of forecast and of the retention window."
        ),
    ] = 30,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the screen.")
    ] = False,
) -> None:
    """Where you stand: due today, streak, collection, forecast, heatmap, retention, weak areas."""

    from .. import stats
    from ..clock import learner_today
    from ..settings import effective

    state = state_of(ctx)
    with state.open_store() as store:
        settings = effective(store.settings())
        figures = stats.compute(
            store,
            today=learner_today(state.now(), settings.rollover_hour),
            days=days,
            deck=deck,
            new_per_day=settings.new_per_day,
            rollover_hour=settings.rollover_hour,
            parameters=settings.fsrs_parameters,
            desired_retention=settings.desired_retention,
        )
    if as_json:
        print_json(stats.to_json(figures))
        return
    from ..render_stats import render

    render(figures, make_console())
