"""Shell completion: the candidates (pure), then the protocol shells speak, run as a shell runs it.

The protocol tests start `dva-cards` with the environment variables Typer's completion scripts set
(`_DVA_CARDS_COMPLETE=complete_bash` with COMP_WORDS/COMP_CWORD; `complete_zsh`/`complete_fish` with
_TYPER_COMPLETE_ARGS) against a real collection, and read the candidates from stdout.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dva_cards import completion
from tests.conftest import BUNDLED_DECK, REPO

SRC = REPO / "src"
FIXTURE_0001 = REPO / "tests" / "fixtures" / "collection-0001.db"

# -- candidates (pure) -----------------------------------------------------------------------------------------


CONTEXTS = ["EC2 › EBS › Snapshots", "EC2 ›  AMI ", "EC2 Instances", "Lambda", "Lambda › Layers", ""]


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("", ["EC2", "EC2 Instances", "Lambda"]),
        ("E", ["EC2", "EC2 Instances"]),
        ("EC2", ["EC2", "EC2 Instances", "EC2 › AMI", "EC2 › EBS"]),
        ("EC2 ›", ["EC2 › AMI", "EC2 › EBS"]),
        ("EC2 › ", ["EC2 › AMI", "EC2 › EBS"]),
        ("EC2 › E", ["EC2 › EBS"]),
        ("EC2 › EBS", ["EC2 › EBS", "EC2 › EBS › Snapshots"]),
        ("EC2 › EBS › Snapshots", ["EC2 › EBS › Snapshots"]),
        ("Lambda › Layers › x", []),
        ("S3", []),
    ],
)
def test_sections_are_offered_one_level_deeper_than_typed(typed: str, offered: list[str]) -> None:
    assert completion.section_candidates(CONTEXTS, typed) == offered


def test_starting_with_keeps_order_and_drops_repeats() -> None:
    assert completion.starting_with(["b2", "a", "b1", "b2"], "b") == ["b2", "b1"]
    assert completion.starting_with(["x"], "") == ["x"]
    assert completion.starting_with(["x"], "X") == []


def test_setting_names_come_with_their_meaning() -> None:
    offered = dict(completion.setting_candidates("leech-"))
    assert set(offered) == {"leech-threshold", "leech-action"}
    assert "lapses" in offered["leech-threshold"]


def test_setting_values_are_the_choices_or_the_default_with_its_range() -> None:
    assert completion.setting_value_candidates("leech-action", "") == [("flag", "default"), ("suspend", "")]
    assert completion.setting_value_candidates("LEECH_ACTION", "s") == [("suspend", "")]
    assert completion.setting_value_candidates("rollover-hour", "") == [
        ("4", "default; a whole number from 0 to 23")
    ]
    assert completion.setting_value_candidates("rollover-hour", "9") == []
    assert completion.setting_value_candidates("no-such-setting", "") == []


def test_card_candidates_show_the_front_on_one_line_and_skip_ids_already_given() -> None:
    rows = [("aa01", "Auto\nScaling   Groups"), ("aa02", "EC2")]
    assert completion.card_candidates(rows) == [("aa01", "Auto Scaling Groups"), ("aa02", "EC2")]
    assert completion.card_candidates(rows, exclude=["aa01"]) == [("aa02", "EC2")]


def test_a_prefix_bound_covers_exactly_the_ids_with_that_prefix() -> None:
    bound = completion._prefix_upper_bound("0f")
    assert bound == "0g"
    assert "0f" <= "0fffffffffffffff" < bound <= "0g0"
    assert completion._prefix_upper_bound("") is None


# -- the protocol, against a real collection -------------------------------------------------------------------


@pytest.fixture(scope="module")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled deck imported, one card suspended; shared read-only by the protocol tests."""
    from dva_cards.importer import import_notes, load_notes
    from dva_cards.store import Store

    db = tmp_path_factory.mktemp("completion") / "collection.db"
    with Store.open(db) as store:
        import_notes(store, load_notes([BUNDLED_DECK]), datetime(2026, 1, 5, 12, tzinfo=UTC))
        store.set_suspended_many([suspended_id(store.connection)], True)
    return db


def suspended_id(connection: sqlite3.Connection) -> str:
    row = connection.execute("SELECT id FROM card WHERE front = 'ASG' ORDER BY id LIMIT 1").fetchone()
    assert row is not None
    return str(row[0])


def query(db: Path, sql: str) -> list[tuple[str, ...]]:
    connection = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in connection.execute(sql)]
    finally:
        connection.close()


def complete(shell: str, line: str, *, db: Path | None, env: dict[str, str] | None = None) -> list[str]:
    """The candidates `dva-cards` prints for the command line `line` (completing its last word) in `shell`."""
    environment = {**os.environ, "PYTHONPATH": str(SRC), **(env or {})}
    if db is not None:
        environment["DVA_CARDS_DB"] = str(db)
    environment["_DVA_CARDS_COMPLETE"] = f"complete_{shell}"
    if shell == "bash":
        words = line.split(" ")
        environment["COMP_WORDS"] = line
        environment["COMP_CWORD"] = str(len(words) - 1)
    else:
        environment["_TYPER_COMPLETE_ARGS"] = line
        environment["_TYPER_COMPLETE_FISH_ACTION"] = "get-args"
    done = subprocess.run(
        [sys.executable, "-m", "dva_cards"], env=environment, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


def test_commands_and_options_complete(collection: Path) -> None:
    commands = complete("bash", "dva-cards ", db=collection)
    assert set(commands) >= {"import", "cards", "review", "stats", "config", "export", "suspend", "unsuspend"}
    assert complete("bash", "dva-cards con", db=collection) == ["config"]
    assert set(complete("bash", "dva-cards config ", db=collection)) == {"list", "get", "set", "unset"}
    assert "--cram" in complete("bash", "dva-cards review --", db=collection)
    assert "--install-completion" in complete("bash", "dva-cards --", db=collection)


@pytest.mark.parametrize(
    "command", ["review", "cards", "stats", "export out.apkg", "import notes.md", "exam set 2027-01-15"]
)
def test_deck_names_complete_for_deck(collection: Path, command: str) -> None:
    assert complete("bash", f"dva-cards {command} --deck ", db=collection) == ["aws-dva"]
    assert complete("bash", f"dva-cards {command} --deck x", db=collection) == []


def test_the_collection_named_by_db_is_the_one_read(collection: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "other.db"
    line = f"dva-cards --db {collection} stats --deck "
    assert complete("bash", line, db=elsewhere) == ["aws-dva"]
    assert complete("bash", f"dva-cards --db {elsewhere} stats --deck ", db=collection) == []
    assert not elsewhere.exists()


def test_sections_complete_from_the_cards_contexts(collection: Path) -> None:
    contexts = [row[0] for row in query(collection, "SELECT context FROM card")]
    top = sorted({context.split(" › ")[0] for context in contexts if context})
    assert complete("bash", "dva-cards review --cram --section ", db=collection) == top
    under_ec2 = complete("bash", "dva-cards review --cram --section EC2", db=collection)
    assert "EC2" in under_ec2 and "EC2 › EC2 Purchasing Options" in under_ec2
    assert all(section.startswith("EC2") and section.count(" › ") <= 1 for section in under_ec2)
    assert complete("bash", "dva-cards review --deck aws-dva --cram --section Lam", db=collection) == [
        "Lambda"
    ]
    assert complete("bash", "dva-cards review --deck nope --cram --section ", db=collection) == []


def test_setting_names_and_values_complete(collection: Path) -> None:
    names = [
        "new-per-day",
        "reviews-per-day",
        "rollover-hour",
        "leech-threshold",
        "leech-action",
        "scheduler",
        "desired-retention",
        "maximum-interval",
        "sync-url",
    ]
    for verb in ("get", "set", "unset"):
        assert complete("bash", f"dva-cards config {verb} ", db=collection) == names
    assert complete("bash", "dva-cards config set leech-action ", db=collection) == ["flag", "suspend"]
    assert complete("bash", "dva-cards config set scheduler ", db=collection) == ["sm2", "fsrs"]
    assert complete("bash", "dva-cards config set scheduler f", db=collection) == ["fsrs"]
    assert complete("bash", "dva-cards config set new-per-day ", db=collection) == ["20"]
    fish = complete("fish", "dva-cards config set rollover-hour ", db=collection)
    assert fish == ["4\tdefault; a whole number from 0 to 23"]


def test_card_ids_complete_with_their_fronts(collection: Path) -> None:
    suspended = query(collection, "SELECT id, front FROM card WHERE suspended = 1")
    assert len(suspended) == 1
    suspended_card, front = suspended[0]
    active = {row[0]: row[1] for row in query(collection, "SELECT id, front FROM card WHERE suspended = 0")}

    offered = complete("bash", "dva-cards suspend ", db=collection)
    assert len(offered) == completion.CARD_CANDIDATE_LIMIT
    assert offered == sorted(active)[: completion.CARD_CANDIDATE_LIMIT]
    prefix = suspended_card[:2]
    by_prefix = complete("bash", f"dva-cards suspend {prefix}", db=collection)
    assert by_prefix == sorted(card for card in active if card.startswith(prefix))
    assert suspended_card not in by_prefix

    assert complete("bash", "dva-cards unsuspend ", db=collection) == [suspended_card]
    assert complete("fish", "dva-cards unsuspend ", db=collection) == [f"{suspended_card}\t{front}"]
    zsh = "\n".join(complete("zsh", f"dva-cards unsuspend {suspended_card[:3]}", db=collection))
    assert f'"{suspended_card}":"{front}"' in zsh

    first = sorted(active)[0]
    again = complete("bash", f"dva-cards suspend {first} {first[:4]}", db=collection)
    assert first not in again


def test_export_formats_complete(collection: Path) -> None:
    assert complete("bash", "dva-cards export cards.dat --format ", db=collection) == ["apkg", "csv"]
    assert complete("zsh", "dva-cards export cards.dat --format a", db=collection) == [
        """_arguments '*: :(("apkg"))'"""
    ]


# -- completing never creates, migrates or changes a collection ------------------------------------------------

EVERY_KIND = [
    "dva-cards review --deck ",
    "dva-cards review --cram --section ",
    "dva-cards config set leech-action ",
    "dva-cards suspend ",
    "dva-cards unsuspend ",
    "dva-cards export x.apkg --format ",
]


def test_completing_creates_no_collection(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data")}
    missing = tmp_path / "data" / "collection.db"
    for line in EVERY_KIND:
        complete("bash", line, db=missing, env=env)
    assert not missing.parent.exists()
    # The default location too (no --db, no DVA_CARDS_DB).
    default_env = {**env, "DVA_CARDS_DB": ""}
    for line in EVERY_KIND:
        complete("bash", line, db=None, env=default_env)
    assert list(home.rglob("*")) == []


def snapshot(directory: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(directory.iterdir())}


def test_completing_leaves_a_current_collection_and_its_directory_as_they_were(
    collection: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "collection.db"
    shutil.copyfile(collection, copy)
    before = snapshot(tmp_path)
    for line in EVERY_KIND:
        assert complete("bash", line, db=copy) or line.startswith("dva-cards unsuspend")
    assert snapshot(tmp_path) == before  # no -wal, -shm or lock file either


def test_completing_never_migrates_an_older_collection(tmp_path: Path) -> None:
    old = tmp_path / "collection.db"
    shutil.copyfile(FIXTURE_0001, old)
    before = snapshot(tmp_path)
    assert complete("bash", "dva-cards review --deck ", db=old) == sorted(
        row[0] for row in query(old, "SELECT name FROM deck")
    )
    complete("bash", "dva-cards suspend ", db=old)
    assert snapshot(tmp_path) == before  # no backup, no upgrade


def test_an_unreadable_or_foreign_file_offers_nothing_and_prints_nothing(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE other (x)")
    connection.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    for db in (foreign, garbage, tmp_path):
        assert complete("bash", "dva-cards review --deck ", db=db) == []
        assert complete("bash", "dva-cards unsuspend ", db=db) == []


# -- installing the completion scripts -------------------------------------------------------------------------


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_the_script_for_each_shell(shell: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "dva_cards", "--show-completion", shell],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert f"_DVA_CARDS_COMPLETE=complete_{shell}" in done.stdout


def _dva_cards_on_path(directory: Path) -> Path:
    """A `dva-cards` executable running this checkout, for a real shell to call."""
    script = directory / "dva-cards"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{SRC}" exec "{sys.executable}" -m dva_cards "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return directory


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_through_the_installed_script(collection: Path, tmp_path: Path) -> None:
    bindir = _dva_cards_on_path(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        "DVA_CARDS_DB": str(collection),
        "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1",
    }
    subprocess.run(["dva-cards", "--install-completion", "bash"], env=env, check=True, capture_output=True)
    home = Path(os.environ["HOME"])
    assert "dva-cards" in (home / ".bashrc").read_text()
    script = home / ".bash_completions" / "dva-cards.sh"
    shell = (
        f'source "{script}"; COMP_WORDS=(dva-cards config set leech-action ""); COMP_CWORD=4; '
        '_dva_cards_completion dva-cards; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", shell], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["flag", "suspend"], done.stderr


@pytest.mark.parametrize(
    "line", ["dva-cards review --cram --section ", "dva-cards suspend ", "dva-cards config set leech-action "]
)
def test_completing_loads_no_schema_or_migration_code(
    collection: Path, line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_startup import loaded_by

    monkeypatch.setenv("DVA_CARDS_DB", str(collection))
    monkeypatch.setenv("_DVA_CARDS_COMPLETE", "complete_bash")
    monkeypatch.setenv("COMP_WORDS", line)
    monkeypatch.setenv("COMP_CWORD", str(len(line.split(" ")) - 1))
    loaded = loaded_by()
    assert "sqlite3" in loaded  # the candidates were read (plain startup does not load it)
    assert not loaded & {"sqlalchemy", "alembic", "sqlmodel", "pydantic", "markdown_it", "dateutil"}
