"""`cards` filters and the `suspend` / `unsuspend` commands."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import dump, run, run_json, write

NOTES = "# S\n* **Alpha** - first\n* **Beta** - second\n* **Gamma** - third\n"


def ids(tmp_path: Path) -> dict[str, str]:
    run_json("import", str(write(tmp_path / "n.md", NOTES)))
    return {card["front"]: card["id"] for card in run_json("cards")}


def test_suspend_by_id_prefix_then_unsuspend(tmp_path: Path) -> None:
    card_ids = ids(tmp_path)
    result = run("suspend", card_ids["Alpha"][:6], card_ids["Beta"])
    assert result.exit_code == 0, result.output
    assert "suspended 2 cards" in result.stdout
    assert [card["front"] for card in run_json("cards", "--suspended")] == ["Alpha", "Beta"]
    assert "suspended" in run("cards").stdout
    twice = run("suspend", card_ids["Gamma"][:6], card_ids["Gamma"])
    assert "suspended 1 card" in twice.stdout and "already" not in twice.stdout
    assert run("unsuspend", card_ids["Gamma"]).exit_code == 0
    again = run("unsuspend", card_ids["Alpha"][:8], card_ids["Gamma"])
    assert again.exit_code == 0, again.output
    assert "unsuspended 1 card (1 already unsuspended)" in again.stdout
    assert [card["front"] for card in run_json("cards", "--suspended")] == ["Beta"]


def test_unknown_or_ambiguous_id_changes_nothing(tmp_path: Path, db_path: Path) -> None:
    card_ids = ids(tmp_path)
    before = dump(db_path)
    for bad, message in (
        ("ffff0000", "no card with id"),
        ("xy", "not a card id"),
        ("zzzzzz", "not a card id"),
    ):
        result = run("suspend", card_ids["Alpha"], bad)
        assert result.exit_code != 0
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert dump(db_path) == before


def test_leeches_filter(tmp_path: Path, db_path: Path) -> None:
    import sqlite3

    card_ids = ids(tmp_path)
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE card SET leech = 1, lapses = 8 WHERE id = ?", (card_ids["Gamma"],))
    connection.close()
    assert [card["front"] for card in run_json("cards", "--leeches")] == ["Gamma"]
