"""`dva-cards optimize`: fit FSRS's parameters to this collection's answers, keeping them only if better."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from .app import Command, app, state_of
from .output import user_error

if TYPE_CHECKING:
    from ..fitting import Outcome


@app.command("optimize", cls=Command)
def optimize_command(
    ctx: typer.Context,
    reset: Annotated[
        bool, typer.Option("--reset", help="Go back to FSRS's default parameters (no fitting).")
    ] = False,
) -> None:
    """Fit FSRS to your answers (on the earlier 80 %, compared on the rest); keep the fit only if better."""
    from .. import fitting, scheduling
    from ..fsrs import DEFAULT_PARAMETERS
    from ..settings import FSRS_PARAMETERS_KEY, effective, parameters_text

    with state_of(ctx).open_store() as store:
        if reset:
            with store.transaction():
                store.unset_setting_in_transaction(FSRS_PARAMETERS_KEY)
                histories = store.answer_histories()
                store.write_memories(scheduling.replay_memories(histories, DEFAULT_PARAMETERS))
            typer.echo("FSRS parameters = the defaults (every card's memory recomputed with them)")
            return
        settings = effective(store.settings())
        try:
            # Counted before numpy is needed: a short log says so even without the optional extra.
            prepared = fitting.prepare(store.answer_log(), settings.fsrs_parameters)
        except fitting.TooFewReviews as short:
            raise user_error(f"not enough reviews to optimize yet: {short}") from None
        from ..fsrs_optimizer import NotEnoughReviews, optimize

        try:
            outcome = fitting.decide(prepared, optimize)
        except NotEnoughReviews as short:
            raise user_error(f"not enough reviews to optimize yet: {short}") from None
        if outcome.keep:
            with store.transaction():
                store.write_setting(FSRS_PARAMETERS_KEY, parameters_text(outcome.parameters))
                # Stability and difficulty depend on the parameters: replay them; due dates stay.
                store.write_memories(scheduling.replay_memories(outcome.split.whole, outcome.parameters))
    typer.echo(report(outcome, settings.desired_retention), nl=False)


def report(outcome: Outcome, desired_retention: float) -> str:
    from ..fitting import TRAIN_SHARE

    split, old, new = outcome.split, outcome.current, outcome.fitted
    verdict = (
        "Kept the fitted parameters: they predict your later reviews better."
        if outcome.keep
        else "Kept the current parameters: the fitted ones do not predict your later reviews better on both."
    )
    lines = [
        f"Fitted FSRS on the earlier {TRAIN_SHARE:.0%} of your {split.answers:,} answers "
        f"({len(split.whole):,} cards); compared on the {old.scored:,} later scored reviews:",
        f"  {'':<20}{'log loss':>10}{'RMSE(bins)':>12}",
        f"  {'current parameters':<20}{old.log_loss:>10.4f}{old.rmse_bins:>12.4f}",
        f"  {'fitted parameters':<20}{new.log_loss:>10.4f}{new.rmse_bins:>12.4f}",
        verdict,
        f"True retention: {outcome.retention:.1%} of your {outcome.scored:,} scored reviews were recalled "
        f"(desired retention {desired_retention:.2f}).",
    ]
    return "\n".join(lines) + "\n"
