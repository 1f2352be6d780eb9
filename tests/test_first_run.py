"""One deck whichever way in: the first run's bundled deck and the learner's own copy of the same notes.

`review` on an empty collection imports the bundled deck; importing the same notes from a checkout or from
any other path into the same deck must then end as one set of cards with one history, in either order.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from dva_cards.extract import extract
from tests.conftest import BUNDLED_DECK
from tests.helpers import run, run_json

# As many cards as the bundled notes define today (469 when this was written): the point is N, never 2N.
BUNDLED_CARDS = len(extract(BUNDLED_DECK.read_text(encoding="utf-8")).cards)


def _cards(db_path: Path) -> int:
    with sqlite3.connect(db_path) as connection:
        return int(connection.execute("SELECT count(*) FROM card").fetchone()[0])


def _reviewed(db_path: Path) -> list[tuple[str, str, int]]:
    """(card id, card source, card reps) of every logged review."""
    with sqlite3.connect(db_path) as connection:
        return connection.execute(
            "SELECT card.id, card.source, card.reps FROM review JOIN card ON card.id = review.card_id"
        ).fetchall()


def _own_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "elsewhere" / "aws-dva.md"
    copy.parent.mkdir()
    shutil.copyfile(BUNDLED_DECK, copy)
    return copy


def test_first_run_then_own_copy_adopts_the_cards_and_their_history(tmp_path: Path, db_path: Path) -> None:
    first = run("review", input=" \n4\nq\n")
    assert first.exit_code == 0, first.output
    assert f"bundled deck aws-dva was imported ({BUNDLED_CARDS} cards)" in first.output
    [(reviewed_id, _, reps)] = _reviewed(db_path)
    assert reps == 1

    copy = _own_copy(tmp_path)
    counts = run_json("import", str(copy))
    assert (counts["added"], counts["unchanged"]) == (0, BUNDLED_CARDS)
    assert _cards(db_path) == BUNDLED_CARDS
    # The reviewed card now belongs to the learner's copy, with its history.
    assert _reviewed(db_path) == [(reviewed_id, str(copy.resolve()), 1)]
    # Importing the copy again changes nothing; the session goes on with the same cards.
    assert run_json("import", str(copy))["added"] == 0
    again = run("review", input="q\n")
    assert again.exit_code == 0, again.output
    assert "was imported" not in again.output
    assert _cards(db_path) == BUNDLED_CARDS


def test_own_copy_first_then_review_imports_nothing_more(tmp_path: Path, db_path: Path) -> None:
    copy = _own_copy(tmp_path)
    assert run_json("import", str(copy))["added"] == BUNDLED_CARDS
    result = run("review", input=" \n4\nq\n")
    assert result.exit_code == 0, result.output
    assert "was imported" not in result.output
    assert _cards(db_path) == BUNDLED_CARDS
    assert len(_reviewed(db_path)) == 1


def test_readme_quickstart_in_order_gives_one_deck(db_path: Path) -> None:
    # From a checkout: `import decks/aws-dva.md`, `cards`, `review`, `stats`.
    assert run_json("import", str(BUNDLED_DECK))["added"] == BUNDLED_CARDS
    assert run("cards", "--deck", "aws-dva", "--search", "lambda").exit_code == 0
    assert run("review", input="q\n").exit_code == 0
    assert run("stats").exit_code == 0
    assert _cards(db_path) == BUNDLED_CARDS


def test_a_copy_in_another_deck_stays_its_own_cards(tmp_path: Path, db_path: Path) -> None:
    assert run("review", input="q\n").exit_code == 0
    copy = _own_copy(tmp_path)
    assert run_json("import", str(copy), "--deck", "mine")["added"] == BUNDLED_CARDS
    assert _cards(db_path) == 2 * BUNDLED_CARDS
