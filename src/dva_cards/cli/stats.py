"""`dva-cards stats`: where the learner stands."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Command, app, state_of
from .completers import complete_deck
from .output import make_console, print_json


@app.command("stats", cls=Command)
def stats_command(
    ctx: typer.Context,
    deck: Annotated[
        str | None,
        typer.Option(
            "--deck",
            metavar="NAME",
            help="Only this deck (an unknown name is an error).",
            autocompletion=complete_deck,
        ),
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
    from ..exam_goal import from_settings
    from ..settings import effective

    state = state_of(ctx)
    with state.open_store() as store:
        stored = store.settings()
        settings = effective(stored)
        today = learner_today(state.now(), settings.rollover_hour)
        figures = stats.compute(
            store,
            today=today,
            days=days,
            deck=deck,
            new_per_day=settings.new_per_day,
            rollover_hour=settings.rollover_hour,
            parameters=settings.fsrs_parameters,
            desired_retention=settings.desired_retention,
        )
        goal = from_settings(stored)
        exam = None
        if goal is not None:  # the readiness section: only a collection with an exam set pays for it
            from ..exam_planning import plan_for_day

            exam = plan_for_day(store, goal, settings, today)
    if as_json:
        data = stats.to_json(figures)
        if exam is not None:
            from ..exam_report import report_json

            data["exam"] = report_json(exam.goal, exam.plan)
        print_json(data)
        return
    from ..render_stats import render

    console = make_console()
    render(figures, console)
    if exam is not None:
        from ..exam_report import report_lines
        from .output import plain

        console.print()
        console.print(plain("Exam readiness"), style="bold")
        for line in report_lines(exam.goal, exam.plan):
            console.print(plain(line))
