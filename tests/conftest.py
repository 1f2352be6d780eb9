"""Every test runs with its own home, data dir and collection: the real home directory is never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pg import pg_server, pg_url  # noqa: F401  (the sync tests' PostgreSQL server)

REPO = Path(__file__).resolve().parent.parent
BUNDLED_DECK = REPO / "decks" / "aws-dva.md"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("DVA_CARDS_DB", str(home / "collection.db"))
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


@pytest.fixture
def db_path(isolated_home: Path) -> Path:
    return isolated_home / "collection.db"
