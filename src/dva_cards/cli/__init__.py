"""The `dva-cards` command line: one module a command, each parse -> call the core -> render.

No SQL and no scheduling rules here. Module-level imports stay light (typer only) so `--help` and `--version`
start fast; each command imports what it needs when it runs.
"""

from __future__ import annotations

from . import cards, check, config, exam, export, import_notes, optimize, review, stats, sync  # noqa: F401  (each registers its commands)
from .app import AppState, app

__all__ = ["AppState", "app", "main"]


def main() -> None:
    app()
