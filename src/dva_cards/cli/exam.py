"""`dva-cards exam`: the exam date the sessions work toward, and the readiness report."""

from __future__ import annotations

from typing import Annotated

import typer

from .app import Command, app, state_of
from .completers import complete_deck
from .output import make_console, print_json

exam_app = typer.Typer(
    help="Study for an exam: every card seen in time and above the target recall on the day.",
    no_args_is_help=True,
)
app.add_typer(exam_app, name="exam")


@exam_app.command("set", cls=Command)
def exam_set_command(
    ctx: typer.Context,
    day: Annotated[str, typer.Argument(metavar="DATE", help="The exam's date, e.g. 2027-01-15.")],
    deck: Annotated[
        str | None,
        typer.Option(
            "--deck",
            metavar="NAME",
            help="Only this deck is examined (default: every deck).",
            autocompletion=complete_deck,
        ),
    ] = None,
    target: Annotated[
        float, typer.Option("--target", metavar="RECALL", help="Recall to reach on the exam day, 0.70-0.99.")
    ] = 0.9,
) -> None:
    """Set the exam (it replaces any earlier one) and print the readiness report."""
    from ..clock import learner_today
    from ..exam_goal import ExamGoal, check_target, parse_exam_date, to_settings
    from ..exam_planning import plan_for_day
    from ..exam_report import report_lines
    from ..settings import effective
    from .output import plain, user_error

    goal = ExamGoal(parse_exam_date(day), check_target(target), deck)
    if deck is not None and not deck.strip():
        raise user_error("--deck must not be empty")
    state = state_of(ctx)
    with state.open_store() as store:
        if deck is not None:
            store.require_deck(deck)
        settings = effective(store.settings())
        store.set_settings(to_settings(goal))
        planned = plan_for_day(store, goal, settings, learner_today(state.now(), settings.rollover_hour))
    console = make_console()
    for line in report_lines(goal, planned.plan):
        console.print(plain(line))


@exam_app.command("show", cls=Command)
def exam_show_command(
    ctx: typer.Context,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the report.")
    ] = False,
) -> None:
    """The readiness report: predicted recall on the exam day, cards unseen, the workload, a verdict."""
    from ..clock import learner_today
    from ..exam_planning import plan_for_day, stored_goal
    from ..exam_report import report_json, report_lines
    from ..settings import effective
    from .output import plain, user_error

    state = state_of(ctx)
    with state.open_store() as store:
        goal = stored_goal(store)
        if goal is None:
            raise user_error("no exam is set: dva-cards exam set DATE [--deck NAME] [--target 0.9]")
        settings = effective(store.settings())
        planned = plan_for_day(store, goal, settings, learner_today(state.now(), settings.rollover_hour))
    if as_json:
        print_json(report_json(goal, planned.plan))
        return
    console = make_console()
    for line in report_lines(goal, planned.plan):
        console.print(plain(line))


@exam_app.command("clear", cls=Command)
def exam_clear_command(ctx: typer.Context) -> None:
    """Forget the exam: sessions go back to plain scheduling. Cards and reviews are untouched."""
    from ..exam_goal import KEYS

    with state_of(ctx).open_store() as store:
        store.set_settings(dict.fromkeys(KEYS))
    typer.echo("exam cleared: plain scheduling")
