"""`dva-cards sync` between collections (machines) through a real PostgreSQL server (tests/pg.py)."""

from __future__ import annotations

import json
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run, write

NOTES = "# Ports\n\n- **22** - SSH\n- **80** - HTTP\n- **443** - HTTPS\n"


def machine(root: Path, name: str, notes: str = NOTES) -> Path:
    """A collection with the same notes imported from a path of its own (deck `net`)."""
    db = root / name / "collection.db"
    source = write(root / name / "somewhere" / "net.md", notes)
    result = run("--db", str(db), "import", str(source))
    assert result.exit_code == 0, result.output
    return db


def sync(db: Path, url: str, *extra: str) -> Any:
    result = run("--db", str(db), "sync", url, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def answer(db: Path, keys: str) -> None:
    result = run("--db", str(db), "review", input=keys)
    assert result.exit_code == 0, result.output


def card_states(db: Path) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(
            "SELECT c.id, d.name, c.context, c.front, c.back, c.retired_at, c.suspended, c.leech, c.reps, c.ease, "
            "c.interval, c.due, c.drill, c.lapses, c.stability, c.difficulty, c.memory_day "
            "FROM card c JOIN deck d ON d.id = c.deck_id ORDER BY c.id"
        ).fetchall()


def review_uids(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return sorted(row[0] for row in conn.execute("SELECT uid FROM review"))


def test_two_machines_end_with_the_union_of_their_answers(tmp_path: Path, pg_url: str) -> None:
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    answer(a, " \n4\n \n5\nq\n")
    answer(b, " \n2\nq\n")
    first = sync(a, pg_url)
    assert first["sent"]["reviews"] == 2 and first["sent"]["cards"] == 3
    second = sync(b, pg_url)
    assert second["received"]["reviews"] == 2 and second["sent"]["reviews"] == 1
    third = sync(a, pg_url)
    assert third["received"]["reviews"] == 1 and third["sent"] == {
        "cards": 0, "settings": 0, "reviews": 0, "undone": 0
    }  # fmt: skip
    assert review_uids(a) == review_uids(b) and len(review_uids(a)) == 3
    assert card_states(a) == card_states(b)
    again = sync(b, pg_url)  # nothing new: idempotent
    assert again["sent"]["reviews"] == again["received"]["reviews"] == 0
    assert card_states(a) == card_states(b)
    for db in (a, b):  # each card is the replay of the merged log, in the same order on both
        checked = run("--db", str(db), "check")
        assert checked.exit_code == 0, checked.output
        assert "every card equals the replay of its review log" in checked.stdout


def test_a_machine_without_the_notes_gets_the_cards_and_can_review_them(tmp_path: Path, pg_url: str) -> None:
    a = machine(tmp_path, "a")
    sync(a, pg_url)
    empty = tmp_path / "c" / "collection.db"
    assert run("--db", str(empty), "config", "set", "new-per-day", "20").exit_code == 0
    got = sync(empty, pg_url)
    assert got["received"]["cards"] == 3
    cards = run("--db", str(empty), "cards", "--json")
    assert sorted(card["front"] for card in json.loads(cards.stdout)) == ["22", "443", "80"]
    answer(empty, " \n4\nq\n")
    assert sync(empty, pg_url)["sent"]["reviews"] == 1


def test_suspension_and_settings_travel_and_the_last_writer_wins(tmp_path: Path, pg_url: str) -> None:
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    sync(a, pg_url)
    sync(b, pg_url)
    card_id = card_states(a)[0][0]
    assert run("--db", str(a), "suspend", card_id).exit_code == 0
    assert run("--db", str(a), "config", "set", "new-per-day", "7").exit_code == 0
    sync(a, pg_url)
    sync(b, pg_url)
    assert json.loads(run("--db", str(b), "config", "list", "--json").stdout)["new-per-day"] == 7
    assert [row[6] for row in card_states(b) if row[0] == card_id] == [1]
    assert run("--db", str(b), "unsuspend", card_id).exit_code == 0  # later: wins
    sync(b, pg_url)
    sync(a, pg_url)
    assert card_states(a) == card_states(b)
    assert [row[6] for row in card_states(a) if row[0] == card_id] == [0]


def undo_last(db: Path) -> None:
    """What `u` in a session does to the last answer: the card back as it was, the answer out of the log."""
    from dva_cards.domain import CardSchedule
    from dva_cards.replay import NEW_CARD
    from dva_cards.store import Store

    with Store.open(db) as store:
        review_id, card_id = store.connection.execute("SELECT max(id), card_id FROM review").fetchone()
        store.undo_answer(review_id, card_id, CardSchedule(NEW_CARD))


def test_an_undone_answer_is_undone_everywhere(tmp_path: Path, pg_url: str) -> None:
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    answer(a, " \n4\nq\n")
    sync(a, pg_url)
    sync(b, pg_url)
    assert len(review_uids(b)) == 1
    undo_last(a)  # undone after it was synced (a sync from another terminal during the session)
    answer(a, " \n5\nu\nq\n")  # given and undone before any sync: nothing to undo elsewhere
    assert sync(a, pg_url)["sent"]["undone"] == 2
    result = sync(b, pg_url)
    assert result["received"]["undone"] == 1
    assert review_uids(b) == [] and card_states(a) == card_states(b)


def test_status_says_what_would_go_each_way_and_writes_nothing(tmp_path: Path, pg_url: str) -> None:
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    answer(a, " \n4\nq\n")
    sync(a, pg_url)
    before = card_states(b), review_uids(b)
    status = sync(b, pg_url, "--status")
    assert status["send"]["cards"] == 3 and status["receive"]["reviews"] == 1
    assert (card_states(b), review_uids(b)) == before


def test_the_url_comes_from_the_environment_or_the_setting_never_with_a_password(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = machine(tmp_path, "a")
    with_password = pg_url.replace("postgres@", "postgres:hunter2@")
    refused = run("--db", str(a), "config", "set", "sync-url", with_password)
    assert refused.exit_code != 0 and "hunter2" not in refused.output and "PGPASSWORD" in refused.output
    assert run("--db", str(a), "config", "set", "sync-url", pg_url).exit_code == 0
    done = run("--db", str(a), "sync")
    assert done.exit_code == 0, done.output
    monkeypatch.setenv("DVA_CARDS_SYNC_URL", pg_url)
    assert run("--db", str(a), "sync", "--json").exit_code == 0
    monkeypatch.delenv("PGPASSWORD")
    failed = run("--db", str(a), "sync", with_password.replace("hunter2", "wrong-one"))
    assert failed.exit_code != 0
    assert "wrong-one" not in failed.output and "***" in failed.output
    assert len(failed.output.strip().splitlines()) == 1


def test_a_newer_server_schema_is_refused_in_one_line(tmp_path: Path, pg_url: str) -> None:
    import psycopg

    a = machine(tmp_path, "a")
    sync(a, pg_url)
    with psycopg.connect(pg_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 's9999'")
    result = run("--db", str(a), "sync", pg_url)
    assert result.exit_code != 0
    assert "newer than this dva-cards knows" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_the_same_notes_imported_later_take_over_the_synced_cards(tmp_path: Path, pg_url: str) -> None:
    a = machine(tmp_path, "a")
    answer(a, " \n4\nq\n")
    sync(a, pg_url)
    c = tmp_path / "c" / "collection.db"
    assert run("--db", str(c), "config", "set", "new-per-day", "20").exit_code == 0
    sync(c, pg_url)
    notes = write(tmp_path / "c" / "elsewhere" / "net.md", NOTES)  # the same notes, another path
    result = run("--db", str(c), "import", str(notes), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 0
    assert [row[:5] for row in card_states(c)] == [row[:5] for row in card_states(a)]
    assert sync(c, pg_url)["sent"]["cards"] == 0  # the path is not shared: nothing to send


def test_tls_is_used_when_the_url_asks_for_it(tmp_path: Path, pg_url: str) -> None:
    a = machine(tmp_path, "a")
    result = run("--db", str(a), "sync", pg_url + "?sslmode=require")  # this test server speaks no TLS
    assert result.exit_code != 0
    assert "SSL" in result.output and len(result.output.strip().splitlines()) == 1


def test_editing_a_card_whose_notes_are_elsewhere_says_so_and_imports_nothing(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = machine(tmp_path, "a")
    sync(a, pg_url)
    c = tmp_path / "c" / "collection.db"
    assert run("--db", str(c), "config", "set", "new-per-day", "20").exit_code == 0
    sync(c, pg_url)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.chdir(tmp_path)  # a directory with notes in it: `e` must not import it
    result = run("--db", str(c), "review", input=" \ne\nq\n")
    assert result.exit_code == 0, result.output
    assert "notes are not on this machine" in result.output
    assert len(card_states(c)) == 3


def test_without_a_url_or_without_the_driver_it_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = machine(tmp_path, "a")
    missing = run("--db", str(db), "sync")
    assert missing.exit_code != 0 and "no sync server" in missing.output
    assert len(missing.output.strip().splitlines()) == 1
    wrong = run("--db", str(db), "sync", "mysql://me@host/db")
    assert wrong.exit_code != 0 and "postgresql://" in wrong.output
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if the [sync] extra were not installed
    result = run("--db", str(db), "sync", "postgresql://me@localhost/cards")
    assert result.exit_code != 0
    assert "pip install 'dva-cards[sync]'" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("scheduler", ["sm2", "fsrs"])
def test_answers_of_the_same_card_on_two_machines_leave_check_clean(
    tmp_path: Path, pg_url: str, scheduler: str
) -> None:
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    for db in (a, b):
        assert run("--db", str(db), "config", "set", "scheduler", scheduler).exit_code == 0
    sync(a, pg_url)
    sync(b, pg_url)
    answer(a, " \n4\nq\n")  # the same first card, the same day, each before seeing the other's answer
    answer(b, " \n2\nq\n")
    for db in (a, b, a):
        sync(db, pg_url)
    answer(a, " \n5\nq\n")  # then each answers it again on the merged state, one after the other
    sync(a, pg_url)
    sync(b, pg_url)
    answer(b, " \n4\nq\n")
    for db in (b, a):
        sync(db, pg_url)
    assert card_states(a) == card_states(b) and len(review_uids(a)) == 4
    for db in (a, b):
        checked = run("--db", str(db), "check")
        assert checked.exit_code == 0, checked.output
        assert "log:" not in checked.stdout, checked.stdout
        assert "every card equals the replay of its review log" in checked.stdout


def test_a_scheduler_switch_after_a_merge_leaves_every_machine_with_the_same_cards(
    tmp_path: Path, pg_url: str
) -> None:
    """Two machines answer one card the same day, sync, one switches to FSRS; a third machine that joins later
    derives the same cards from the same log, and `check` is clean everywhere."""
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    answer(a, " \n4\nq\n")
    answer(b, " \n5\nq\n")
    for db in (a, b, a):
        sync(db, pg_url)
    assert run("--db", str(a), "config", "set", "scheduler", "fsrs").exit_code == 0
    late = tmp_path / "c" / "collection.db"
    for db in (a, b, late, a, b):
        sync(db, pg_url)
    assert card_states(a) == card_states(b) == card_states(late)
    for db in (a, b, late):
        checked = run("--db", str(db), "check")
        assert checked.exit_code == 0, checked.output


def test_a_machine_without_the_notes_introduces_new_cards_in_the_notes_order(
    tmp_path: Path, pg_url: str
) -> None:
    terms = ["Zebra", "Apple", "Mango", "Kiwi", "Banana", "Cherry", "Lemon", "Fig", "Date", "Grape"]
    notes = "# Fruit\n\n" + "".join(f"- **{term}** - a fruit called {term.lower()}\n" for term in terms)
    a = machine(tmp_path, "a", notes)
    sync(a, pg_url)
    empty = tmp_path / "c" / "collection.db"
    sync(empty, pg_url)
    listed = run("--db", str(empty), "cards", "--json")
    assert listed.exit_code == 0, listed.output
    assert [card["front"] for card in json.loads(listed.stdout)] == terms
    first = run("--db", str(empty), "review", input="q\n")
    assert first.exit_code == 0, first.output
    assert "Zebra" in first.stdout and "Apple" not in first.stdout
