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


LONG = (
    "# A heading long enough that an 80-column table would cut it somewhere in the middle\n"
    "* **EC2 Auto Scaling lifecycle hooks and warm pools** - "
    "the *answer*, with `code` and [a link](https://example.com)\n"
    "    * and a second line\n"
)


def test_in_a_pipe_each_card_is_one_whole_tab_separated_line(tmp_path: Path) -> None:
    run_json("import", str(write(tmp_path / "long.md", LONG)), "--deck", "d")
    result = run("cards")
    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    card_id, deck, context, front, back, due, interval = line.split("\t")
    assert (deck, due, interval) == ("d", "new", "0")
    assert context == "A heading long enough that an 80-column table would cut it somewhere in the middle"
    assert front == "EC2 Auto Scaling lifecycle hooks and warm pools"
    assert "**" not in front
    assert back == "the answer, with code and a link …"
    assert "…" not in context + front  # nothing cut


def test_no_match_in_a_pipe_prints_nothing_on_stdout(tmp_path: Path) -> None:
    ids(tmp_path)
    result = run("cards", "--search", "nothing like this")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "no cards match" in result.stderr


def test_limit_says_how_many_matched_on_a_terminal(
    tmp_path: Path, db_path: Path, isolated_home: Path
) -> None:
    import os
    import sys

    import pexpect

    ids(tmp_path)
    env = {**os.environ, "DVA_CARDS_DB": str(db_path), "HOME": str(isolated_home), "NO_COLOR": "1"}
    limited = pexpect.run(
        f"{sys.executable} -m dva_cards cards --limit 2", env=env, encoding="utf-8", dimensions=(24, 100)
    )
    assert "2 of 3 cards" in limited and "Gamma" not in limited
    whole = pexpect.run(
        f"{sys.executable} -m dva_cards cards", env=env, encoding="utf-8", dimensions=(24, 100)
    )
    assert "3 cards" in whole and " of " not in whole.splitlines()[-1]
    assert "┃" in whole or "│" in whole  # a table, on a terminal


def test_cards_count() -> None:
    from dva_cards.cli.cards import cards_count

    assert cards_count(25, 81) == "25 of 81 cards"
    assert cards_count(81, 81) == "81 cards"
    assert cards_count(1, 1) == "1 card"
