"""`dva-cards import` end to end: sync rules, one transaction, dry runs, JSON output, errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from dva_cards import store as store_module
from dva_cards.extract import extract
from tests.conftest import BUNDLED_DECK
from tests.helpers import dump, run, run_json, write

NOTES = """# Compute
* **EC2** - virtual machines
* **Lambda** - functions
    * *Timeout* - up to 15 minutes
* **ASG** - **Auto Scaling Groups** - scale instances
"""


def cards_by_front(deck: str | None = None) -> dict[str, dict]:
    args = ["cards", "--retired"] + (["--deck", deck] if deck else [])
    return {card["front"]: card for card in run_json(*args)}


def test_bundled_deck_imports_every_extracted_card() -> None:
    expected = extract(BUNDLED_DECK.read_text(encoding="utf-8"))
    result = run_json("import", str(BUNDLED_DECK))
    assert result["added"] == len(expected.cards)
    assert result["updated"] == result["unchanged"] == result["retired"] == 0
    assert len(result["skipped"]) == len(expected.skipped)
    assert {item["line"] for item in result["skipped"]} == {item.line for item in expected.skipped}
    cards = run_json("cards", "--deck", "aws-dva")
    assert len(cards) == len(expected.cards)
    assert {card["deck"] for card in cards} == {"aws-dva"}
    keys = {"id", "deck", "context", "front", "back", "source", "line", "reps", "ease", "interval", "due",
            "lapses", "suspended", "retired"}  # fmt: skip
    assert keys <= set(cards[0])


def test_both_port_22_cards_exist() -> None:
    run_json("import", str(BUNDLED_DECK))
    port_cards = [card for card in run_json("cards", "--search", "22 =") if card["front"].startswith("22 =")]
    assert len(port_cards) == 2
    assert len({card["id"] for card in port_cards}) == 2


def test_reimport_of_unchanged_file_reports_nothing_added_and_writes_nothing(db_path: Path) -> None:
    first = run_json("import", str(BUNDLED_DECK))
    before = dump(db_path)
    again = run_json("import", str(BUNDLED_DECK))
    assert again["added"] == again["updated"] == again["retired"] == 0
    assert again["unchanged"] == first["added"]
    assert len(again["skipped"]) == len(first["skipped"])
    assert dump(db_path) == before


def test_edited_definition_updates_in_place_and_keeps_schedule(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    run_json("import", str(notes))
    lambda_id = cards_by_front()["Lambda"]["id"]
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "UPDATE card SET reps = 3, ease = 2360, interval = 17, due = '2026-12-01', lapses = 1 WHERE id = ?",
            (lambda_id,),
        )
    write(notes, NOTES.replace("functions", "serverless functions, billed per ms"))
    result = run_json("import", str(notes))
    assert (result["added"], result["updated"], result["retired"]) == (0, 1, 0)
    card = cards_by_front()["Lambda"]
    assert card["id"] == lambda_id
    assert card["back"].startswith("serverless functions, billed per ms")
    assert (card["reps"], card["ease"], card["interval"], card["due"], card["lapses"]) == (
        3,
        2360,
        17,
        "2026-12-01",
        1,
    )


def test_removed_bullet_retires_and_returns_with_its_history(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    run_json("import", str(notes))
    ec2_id = cards_by_front()["EC2"]["id"]
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "UPDATE card SET reps = 2, interval = 6, due = '2026-12-02' WHERE id = ?", (ec2_id,)
        )
    write(notes, NOTES.replace("* **EC2** - virtual machines\n", ""))
    removed = run_json("import", str(notes))
    assert removed["retired"] == 1
    assert cards_by_front()["EC2"]["retired"] is True
    assert "EC2" not in {card["front"] for card in run_json("cards")}
    write(notes, NOTES)
    restored = run_json("import", str(notes))
    assert restored["restored"] == 1 and restored["added"] == 0
    card = cards_by_front()["EC2"]
    assert card["retired"] is False and card["id"] == ec2_id
    assert (card["reps"], card["interval"], card["due"]) == (2, 6, "2026-12-02")


def test_prune_deletes_retired_cards_only(tmp_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    run_json("import", str(notes))
    write(notes, NOTES.replace("* **EC2** - virtual machines\n", ""))
    result = run_json("import", str(notes), "--prune")
    assert result["retired"] == 1 and result["pruned"] == 1
    fronts = set(cards_by_front())
    assert "EC2" not in fronts and {"Lambda", "Timeout", "ASG"} <= fronts


def test_importing_one_file_never_touches_another_files_cards(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "# S\n* **Alpha** - first\n")
    second = write(tmp_path / "b.md", "# S\n* **Beta** - second\n")
    run_json("import", str(first), str(second), "--deck", "mixed")
    write(first, "# S\n* **Gamma** - third\n")
    result = run_json("import", str(first), "--deck", "mixed")
    assert result["retired"] == 1  # Alpha, not Beta
    cards = cards_by_front("mixed")
    assert cards["Beta"]["retired"] is False and cards["Alpha"]["retired"] is True


def test_equal_terms_in_equal_contexts_of_two_files_stay_two_cards(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "# S\n* **Same** - from a\n")
    second = write(tmp_path / "b.md", "# S\n* **Same** - from b\n")
    result = run_json("import", str(first), str(second), "--deck", "d")
    assert result["added"] == 2
    again = run_json("import", str(second), "--deck", "d")
    assert again["added"] == 0 and again["updated"] == 0
    assert {card["back"] for card in run_json("cards", "--deck", "d")} == {"from a", "from b"}


def test_a_file_makes_a_deck_of_its_stem_and_a_directory_one_deck_of_its_name(tmp_path: Path) -> None:
    write(tmp_path / "notes" / "one.md", "* **A** - a\n")
    write(tmp_path / "notes" / "deeper" / "two.md", "# Second file\n* **B** - b\n")
    write(tmp_path / "notes" / "ignored.txt", "* **C** - c\n")
    write(tmp_path / "notes" / "README.md", "# About these notes\n")
    result = run_json("import", str(tmp_path / "notes"))
    assert result["added"] == 2
    cards = {card["front"]: card for card in run_json("cards")}
    assert {card["deck"] for card in cards.values()} == {"notes"}
    assert [entry["deck"] for entry in run_json("stats")["collection"]["decks"]] == [
        "notes"
    ]  # no README deck
    # Each file's title (first heading, else its name) leads its contexts, once.
    assert (cards["A"]["context"], cards["B"]["context"]) == ("one", "Second file")
    write(tmp_path / "single.md", "* **C** - c\n")
    run_json("import", str(tmp_path / "single.md"))
    single = {card["front"]: card for card in run_json("cards")}["C"]
    assert (single["deck"], single["context"]) == ("single", "")


def test_dry_run_lists_cards_and_changes_nothing(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    result = run_json("import", str(notes), "--dry-run")
    assert result["added"] == 4 and result["dry_run"] is True
    assert {card["front"] for card in result["cards"]} == {"EC2", "Lambda", "Timeout", "ASG"}
    assert not db_path.exists()  # not even an empty collection is created
    run_json("import", str(notes))
    before = dump(db_path)
    write(notes, NOTES + "* **S3** - object storage\n")
    preview = run_json("import", str(notes), "--dry-run")
    assert preview["added"] == 1 and [card["front"] for card in preview["cards"]] == ["S3"]
    assert dump(db_path) == before
    # A card a dry run would add reads exactly as `cards --json` shows it once added.
    run_json("import", str(notes))
    (added,) = [card for card in run_json("cards") if card["front"] == "S3"]
    assert preview["cards"] == [added]


def test_failure_mid_import_leaves_collection_identical(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_json("import", str(BUNDLED_DECK))
    before = dump(db_path)
    files = [write(tmp_path / f"n{i}.md", f"# H\n* **T{i}** - answer {i}\n") for i in range(3)]
    original = store_module.Store.write_file_plan
    calls = {"n": 0}

    def failing_sync(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (injected)")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(store_module.Store, "write_file_plan", failing_sync)
    result = run("import", *map(str, files))
    assert result.exit_code != 0
    assert "disk full" in result.stderr
    assert dump(db_path) == before


def test_summary_counts_what_is_not_carded_and_explain_lists_it(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "n.md", "# H\n* **Empty** - \n* **Note:** check it\n* **S3** - object storage\n")
    quiet = run("import", "--dry-run", str(notes))
    assert quiet.exit_code == 0, quiet.output
    assert "not carded: 2 — see --explain" in quiet.stdout and str(notes) not in quiet.stdout
    explained = run("import", "--dry-run", "--explain", str(notes))
    lines = [line for line in explained.stdout.splitlines() if line.startswith(f"{notes}:")]
    assert lines == [
        f"{notes}:2: empty definition: * **Empty** -",
        f"{notes}:3: label, not a term: * **Note:** check it",
    ]
    assert not db_path.exists()  # --explain with --dry-run changes nothing
    report = run_json("import", "--explain", str(notes))
    assert report["added"] == 1 and report["not_carded"] == 2
    assert [(item["line"], item["reason"]) for item in report["skipped"]] == [
        (2, "empty definition"),
        (3, "label, not a term"),
    ]


def test_table_summary_and_verbose_skips(tmp_path: Path) -> None:
    notes = write(tmp_path / "n.md", "# H\n* **Empty** - \n* **Full** - yes\n")
    result = run("import", str(notes), "--verbose")
    assert result.exit_code == 0, result.output
    assert "added" in result.stdout and "not carded" in result.stdout
    assert f"{notes}:2: empty definition" in result.stdout


def test_rich_markup_in_notes_prints_literally(tmp_path: Path) -> None:
    notes = write(tmp_path / "n.md", "* **[red]Alarm[/]** - [bold]not bold[/bold]\n")
    run_json("import", str(notes))
    result = run("cards")
    assert "[red]Alarm[/]" in result.stdout
    assert "[bold]not bold[/bold]" in result.stdout


def _missing(base: Path) -> Path:
    return base / "missing.md"


def _empty_dir(base: Path) -> Path:
    (base / "empty-dir").mkdir()
    return base / "empty-dir"


def _binary(base: Path) -> Path:
    (base / "bin.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return base / "bin.md"


def _latin1(base: Path) -> Path:
    (base / "latin.md").write_bytes("* **Café** - x".encode("latin-1"))
    return base / "latin.md"


@pytest.mark.parametrize(
    ("setup", "message"),
    [(_missing, "no such file"), (_empty_dir, "no .md files"), (_binary, "binary"), (_latin1, "UTF-8")],
)
def test_bad_input_is_one_line_error_and_collection_unchanged(
    tmp_path: Path, db_path: Path, setup: Callable[[Path], Path], message: str
) -> None:
    run_json("import", str(BUNDLED_DECK))
    before = dump(db_path)
    target = setup(tmp_path)
    result = run("import", str(target))
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert dump(db_path) == before


def test_unknown_deck_is_an_error() -> None:
    run_json("import", str(BUNDLED_DECK))
    result = run("cards", "--deck", "nope")
    assert result.exit_code != 0
    assert "unknown deck 'nope'" in result.stderr


def test_db_option_and_env_var_choose_the_collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notes = write(tmp_path / "n.md", "* **X** - y\n")
    other = tmp_path / "other.db"
    assert run_json("--db", str(other), "import", str(notes))["added"] == 1
    assert other.exists()
    monkeypatch.setenv("DVA_CARDS_DB", str(tmp_path / "env.db"))
    assert run_json("import", str(notes))["added"] == 1
    assert (tmp_path / "env.db").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--debug", "import", str(tmp_path / "missing.md"))
    assert result.exit_code != 0
    assert result.exception is not None  # re-raised for the traceback instead of a one-line message


def test_editing_a_file_keeps_its_own_card_when_a_twin_file_is_gone(tmp_path: Path, db_path: Path) -> None:
    notes = tmp_path / "notes"
    first = write(notes / "a.md", "# EC2\n\n* **ASG** - from a\n")
    second = write(notes / "b.md", "# EC2\n\n* **ASG** - from b\n")
    run_json("import", "--deck", "aws", str(notes))
    b_card = next(card for card in run_json("cards") if card["back"] == "from b")
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "UPDATE card SET reps = 1, interval = 1, due = '2026-11-27' WHERE id = ?", (b_card["id"],)
        )
    connection.close()
    first.unlink()
    write(second, "# EC2\n\n* **ASG** - from b, edited\n")
    result = run_json("import", "--deck", "aws", str(notes))
    assert (result["added"], result["updated"]) == (0, 1)
    card = next(card for card in run_json("cards") if card["back"] == "from b, edited")
    assert card["id"] == b_card["id"]
    assert (card["reps"], card["due"]) == (1, "2026-11-27")


def test_prune_in_a_multi_file_import_leaves_the_twin_file_alone(tmp_path: Path) -> None:
    first = write(tmp_path / "a.md", "# S\n* **Same** - from a\n* **Other** - x\n")
    second = write(tmp_path / "b.md", "# S\n* **Same** - from b\n")
    run_json("import", "--deck", "d", str(first), str(second))
    write(first, "# S\n* **Other** - x\n")
    result = run_json("import", "--deck", "d", "--prune", str(first), str(second))
    assert (result["retired"], result["pruned"], result["added"]) == (1, 1, 0)
    assert sorted(card["back"] for card in run_json("cards", "--retired")) == ["from b", "x"]
    again = run_json("import", "--deck", "d", str(first), str(second))
    assert (again["added"], again["updated"], again["restored"], again["retired"]) == (0, 0, 0, 0)
