"""Files that ship with the package: the bundled deck and the Alembic migrations.

In a wheel they live inside the package; in a source checkout they sit at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"{name}/ is missing from this installation of dva-cards")


def bundled_deck() -> Path:
    return shipped_dir("decks") / "aws-dva.md"


def migrations_dir() -> Path:
    return shipped_dir("migrations")
