"""Completion callbacks for the command line: read what was typed so far, ask `completion` for candidates.

Typer calls these while completing, with the command line parsed leniently into `ctx` (no command has run,
so `AppState` is not set up): the collection is the one `--db` or `$DVA_CARDS_DB` names, else the default.
Typer keeps only the candidates that start with what is typed.

No `from __future__ import annotations` here: Typer reads each callback's signature while building the
command line, for every command run, and real annotations need no evaluating.
"""

from pathlib import Path

import typer

Candidate = tuple[str, str]  # (value, description); Typer reads these annotations when the app is built

# Each callback imports `completion` (and with it sqlite3) when it runs: these are attached to options of
# every command, and `--help` or `--version` must not pay for the collection code.


def _collection(ctx: typer.Context) -> Path:
    db = ctx.find_root().params.get("db")  # as typed: Typer converts it to a Path only to run a command
    if isinstance(db, str | Path) and str(db):
        return Path(db)
    from ..collection import default_collection_path

    return default_collection_path()


def _typed(ctx: typer.Context, name: str) -> str | None:
    value = ctx.params.get(name)
    return value if isinstance(value, str) else None


def complete_deck(ctx: typer.Context, incomplete: str) -> list[str]:
    from .. import completion

    return completion.starting_with(completion.deck_names(_collection(ctx)), incomplete)


def complete_section(ctx: typer.Context, incomplete: str) -> list[str]:
    from .. import completion

    contexts = completion.contexts(_collection(ctx), deck=_typed(ctx, "deck"))
    return completion.section_candidates(contexts, incomplete)


def complete_setting(incomplete: str) -> list[Candidate]:
    from .. import completion

    return completion.setting_candidates(incomplete)


def complete_setting_value(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    from .. import completion

    key = _typed(ctx, "key")
    return [] if key is None else completion.setting_value_candidates(key, incomplete)


def _given_ids(ctx: typer.Context) -> list[str]:
    given = ctx.params.get("card_ids")
    return [str(each) for each in given] if isinstance(given, list | tuple) else []


def complete_suspendable(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    from .. import completion

    rows = completion.card_rows(_collection(ctx), incomplete, suspended=False)
    return completion.card_candidates(rows, exclude=_given_ids(ctx))


def complete_suspended(ctx: typer.Context, incomplete: str) -> list[Candidate]:
    from .. import completion

    rows = completion.card_rows(_collection(ctx), incomplete, suspended=True)
    return completion.card_candidates(rows, exclude=_given_ids(ctx))


def complete_export_format(incomplete: str) -> list[str]:
    from .. import completion
    from ..export import FORMATS

    return completion.starting_with(FORMATS, incomplete)
