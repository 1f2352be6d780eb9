"""What each command loads, and option values read without Pydantic: the startup cost, checked without timing.

Timings live in the benchmark (`python -m tests.bench.run`); these tests only pin down the causes it found:
modules that a command does not need must not be imported, and the CLI's own conversion of option values
(cli._plain_coercion) must give exactly what Typer's Pydantic-based conversion gives.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BUNDLED_DECK

PROBE = """
import json, sys
from dva_cards.cli import app
try:
    app(sys.argv[1:], prog_name="dva-cards")
except SystemExit as exit:
    code = exit.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def loaded_by(*args: str) -> set[str]:
    """Top-level packages imported by `dva-cards ARGS` in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=False, timeout=120
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return set(report["loaded"])


@pytest.fixture
def collection(db_path: Path) -> Path:
    from datetime import UTC, datetime

    from dva_cards.importer import import_notes, load_notes
    from dva_cards.store import Store

    with Store.open(db_path) as store:
        import_notes(store, load_notes([BUNDLED_DECK]), datetime(2026, 1, 5, 12, tzinfo=UTC))
    return db_path


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["stats", "--json", "--days", "7", "--deck", "aws-dva"],
        ["cards", "--limit", "1", "--json"],
        ["config", "get", "new-per-day"],
    ],
)
def test_reading_commands_load_neither_pydantic_nor_markdown_nor_sqlalchemy(
    collection: Path, args: list[str]
) -> None:
    loaded = loaded_by("--db", str(collection), *args)
    assert "dva_cards" in loaded
    assert not loaded & {"pydantic", "pydantic_core", "markdown_it", "sqlalchemy", "alembic", "sqlmodel"}


def test_help_and_version_load_no_collection_code() -> None:
    assert not loaded_by("--version") & {"pydantic", "markdown_it", "rich", "sqlite3", "sqlalchemy"}
    for args in (["--help"], ["stats", "--help"]):  # Typer's help is drawn by Rich (with its markdown)
        assert not loaded_by(*args) & {"pydantic", "sqlite3", "sqlalchemy"}, args


def test_import_loads_markdown_but_not_pydantic(collection: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# S\n\n* **Term** - the answer\n", encoding="utf-8")
    loaded = loaded_by("--db", str(collection), "import", str(notes), "--deck", "d")
    assert "markdown_it" in loaded  # creating a collection would load SQLModel (and Pydantic): not here
    assert not loaded & {"pydantic", "sqlalchemy", "alembic"}


# -- the CLI's conversion of option values equals Typer's own ------------------------------------------------

VALUES: list[Any] = [
    "30", " 30", "+30", "30.0", "3_0", "030", "0", "1", "365", "366", "-1", "-0", "99999999999999999999999",
    "\u0663", "x", "", "1e1", 30, True, False, 0, 1, 0.0, "yes", "no", "a//b", "./x", "x/", "/", ".", "rel.db",
    "/nonexistent/x.db", "a b", ("a.md",), ("",), (), ("a//b",), ("ok.md", "./x"), ["/"], b"x", None,
]  # fmt: skip


def _params(command: Any) -> list[Any]:
    found = list(command.params)
    for sub in getattr(command, "commands", {}).values():
        found += _params(sub)
    return found


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> tuple[str, ...]:
    try:
        return ("ok", repr(runtime.coerce(value, param=param, ctx=ctx)))
    except Exception as error:  # the message is what the user sees
        return ("error", type(error).__name__, str(error))


def test_plain_conversion_matches_typer_for_every_option() -> None:
    coercion = pytest.importorskip("typer._coercion", reason="a Typer without Pydantic conversion")
    from typer.main import get_command

    from dva_cards.cli import _plain_coercion, app

    group = get_command(app)
    _plain_coercion(group)
    ctx = group.context_class(group)
    params = [param for param in _params(group) if hasattr(param, "type_descriptor")]
    plain = [param for param in params if param._runtime_param is not None]
    assert len(plain) == len(params)  # every option of this CLI is plain
    compared = 0
    for param in plain:
        typer_own = coercion.build_runtime_param(param.type_descriptor)
        for value in VALUES:
            mine = _outcome(param._runtime_param, value, param, ctx)
            assert mine == _outcome(typer_own, value, param, ctx), (param.name, value)
            compared += 1
    assert compared > 300
