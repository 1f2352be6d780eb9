"""Moved definitions keep their cards: the pure pairing rule, then whole imports with reviews on the cards."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dva_cards.moves import SIMILAR_ANSWER, Definition, answer_similarity, answer_words, pair_moves
from dva_cards.resources import bundled_deck
from tests.helpers import run, run_json, write


def card(key: str, term: str, answer: str, context: str = "A", source: str = "a.md") -> Definition:
    return Definition(key, source, context, term, answer)


# -- the pure rule ------------------------------------------------------------------------------------------------


def test_the_same_term_and_answer_under_another_heading_is_one_definition() -> None:
    old = card("old", "s3", "object storage", context="Storage")
    new = card("new", "s3", "object storage", context="AWS › Storage")
    assert pair_moves([old], [new]) == [("old", "new")]


def test_an_answer_touched_up_while_moving_still_matches_but_another_answer_does_not() -> None:
    old = card("old", "lambda", "run code without servers, billed per request and duration")
    touched = card("new", "lambda", "run code without servers, billed per request and by duration", "B")
    other = card("new", "lambda", "a Greek letter used for anonymous functions in Python", "B")
    assert pair_moves([old], [touched]) == [("old", "new")]
    assert pair_moves([old], [other]) == []


def test_a_term_edited_in_place_with_the_same_answer_matches_only_in_the_same_context() -> None:
    old = card("old", "asg", "**Auto Scaling Groups** - scale instances")
    renamed = card("new", "auto scaling group", "Auto Scaling Groups — scale instances")
    elsewhere = card("new", "auto scaling group", "Auto Scaling Groups — scale instances", context="B")
    assert pair_moves([old], [renamed]) == [("old", "new")]
    assert pair_moves([old], [elsewhere]) == []


def test_two_equally_good_candidates_leave_both_unmatched() -> None:
    old = card("old", "s3", "object storage")
    twins = [card("x", "s3", "object storage", "B"), card("y", "s3", "object storage", "C")]
    assert pair_moves([old], twins) == []
    assert pair_moves(twins, [old]) == []


def test_a_candidate_in_the_same_file_is_clearer_than_one_in_another_file() -> None:
    old = card("old", "s3", "object storage")
    here, there = (
        card("here", "s3", "object storage", "B"),
        card("there", "s3", "object storage", "B", "b.md"),
    )
    assert pair_moves([old], [here, there]) == [("old", "here")]


def test_the_port_22_pair_moves_together_each_to_its_own_answer() -> None:
    ssh = "**SSH** (Secure Shell) - log into a Linux instance"
    sftp = "**SFTP** (Secure File Transfer Protocol) - upload files using SSH"
    retired = [card("ssh", "22", ssh, "Ports"), card("sftp", "22", sftp, "Ports")]
    added = [card("new-sftp", "22", sftp, "Networking"), card("new-ssh", "22", ssh, "Networking")]
    assert sorted(pair_moves(retired, added)) == [("sftp", "new-sftp"), ("ssh", "new-ssh")]


def test_similarity_threshold_separates_edits_from_other_definitions_of_a_term() -> None:
    deck = bundled_deck().read_text(encoding="utf-8")
    assert "vs **Memcached**" in deck  # the closest two different definitions of one term, measured at 0.74
    five = answer_words("a group of EC2 instances")
    assert answer_similarity(five, answer_words("a group of EC2 machines")) >= SIMILAR_ANSWER
    assert answer_similarity(five, answer_words("a fleet of Spot machines")) < SIMILAR_ANSWER


# -- whole imports ---------------------------------------------------------------------------------------------------

NOTES = """# Compute
## Serverless
* **Lambda** - run code without servers
* **Timeout** - up to 15 minutes
## Machines
* **EC2** - virtual machines
* **AMI** - a machine image to start instances from
"""


def cards_by_front() -> dict[str, dict]:
    return {each["front"]: each for each in run_json("cards", "--retired")}


def give_history(db_path: Path, *card_ids: str) -> None:
    """Two reviews and a schedule on each card, as a learner's answers would leave them."""
    with sqlite3.connect(db_path) as connection:
        for card_id in card_ids:
            connection.execute(
                "UPDATE card SET reps = 2, interval = 6, due = '2026-12-07', ease = 2600 WHERE id = ?",
                (card_id,),
            )


def test_heading_renamed_keeps_every_card_of_it(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    run_json("import", str(notes))
    before = cards_by_front()
    give_history(db_path, before["Lambda"]["id"], before["Timeout"]["id"])
    write(notes, NOTES.replace("## Serverless", "## Functions as a service"))
    result = run_json("import", str(notes))
    assert (result["moved"], result["added"], result["retired"]) == (2, 0, 0)
    after = cards_by_front()
    for front in ("Lambda", "Timeout"):
        assert after[front]["id"] == before[front]["id"]
        assert after[front]["context"] == "Compute › Functions as a service"
        assert (after[front]["reps"], after[front]["interval"], after[front]["due"]) == (2, 6, "2026-12-07")
    assert len(run_json("cards", "--retired")) == 4


def test_bullet_moved_between_files_imported_together(tmp_path: Path, db_path: Path) -> None:
    compute = write(tmp_path / "notes" / "compute.md", NOTES)
    serverless = write(tmp_path / "notes" / "serverless.md", "# Serverless\n* **Fargate** - containers\n")
    run_json("import", "--deck", "aws", str(compute), str(serverless))
    lambda_id = cards_by_front()["Lambda"]["id"]
    give_history(db_path, lambda_id)
    write(compute, NOTES.replace("* **Lambda** - run code without servers\n", ""))
    write(serverless, "# Serverless\n* **Fargate** - containers\n* **Lambda** - run code without servers\n")
    result = run_json("import", "--deck", "aws", str(compute), str(serverless))
    assert (result["moved"], result["added"], result["retired"]) == (1, 0, 0)
    (move,) = result["moves"]
    assert move["id"] == lambda_id and move["to"]["source"] == str(serverless.resolve())
    lambda_card = cards_by_front()["Lambda"]
    assert (
        lambda_card["id"] == lambda_id and lambda_card["reps"] == 2 and lambda_card["context"] == "Serverless"
    )


def test_a_bullet_moved_to_another_deck_is_not_matched(tmp_path: Path, db_path: Path) -> None:
    compute = write(tmp_path / "compute.md", NOTES)
    other = write(tmp_path / "other.md", "# Other\n")
    run_json("import", str(compute), str(other))
    give_history(db_path, cards_by_front()["EC2"]["id"])
    write(compute, NOTES.replace("* **EC2** - virtual machines\n", ""))
    write(other, "# Other\n* **EC2** - virtual machines\n")
    result = run_json("import", str(compute), str(other))
    assert (result["moved"], result["added"], result["retired"]) == (0, 1, 1)


def test_the_bundled_port_22_pair_moved_together_keeps_both_histories(tmp_path: Path, db_path: Path) -> None:
    deck = bundled_deck().read_text(encoding="utf-8")
    ports = [line for line in deck.splitlines(keepends=True) if line.lstrip().startswith("* `22` =")]
    assert len(ports) == 2
    notes = write(tmp_path / "aws-dva.md", deck)
    run_json("import", str(notes))
    before = {each["id"]: each for each in run_json("cards") if each["front"].startswith("22 =")}
    give_history(db_path, *before)
    moved = deck
    for line in ports:
        moved = moved.replace(line, "", 1)
    moved += "\n# Ports to remember\n\n" + "".join(line.lstrip() for line in ports)
    write(notes, moved)
    result = run_json("import", str(notes))
    assert result["moved"] == 2 and result["added"] == 0 and result["retired"] == 0
    after = {each["id"]: each for each in run_json("cards") if each["front"].startswith("22 =")}
    assert set(after) == set(before)
    for card_id, each in after.items():
        assert each["context"] == "Ports to remember" and each["reps"] == 2
        assert each["back"] == before[card_id]["back"]


def test_ambiguous_duplicates_are_left_alone(tmp_path: Path, db_path: Path) -> None:
    twice = "# A\n* **S3** - object storage\n* **S3** - object storage\n# B\n"
    notes = write(tmp_path / "n.md", twice)
    run_json("import", str(notes))
    write(notes, "# A\n# B\n* **S3** - object storage\n")
    result = run_json("import", str(notes))
    assert (result["moved"], result["added"], result["retired"]) == (0, 1, 2)


def test_renamed_file_with_a_new_context_keeps_its_cards(tmp_path: Path, db_path: Path) -> None:
    old = write(tmp_path / "compute.md", NOTES)
    run_json("import", "--deck", "aws", str(old))
    lambda_id = cards_by_front()["Lambda"]["id"]
    give_history(db_path, lambda_id)
    old.unlink()
    renamed = write(tmp_path / "cloud.md", NOTES.replace("# Compute", "# Cloud compute"))
    result = run_json("import", "--deck", "aws", str(renamed))
    assert result["moved"] == 4 and result["added"] == 0
    lambda_card = cards_by_front()["Lambda"]
    assert lambda_card["id"] == lambda_id and lambda_card["reps"] == 2
    assert lambda_card["source"] == str(renamed.resolve())


def test_summary_dry_run_and_verbose_show_the_moves(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    run_json("import", str(notes))
    write(notes, NOTES.replace("## Machines", "## Virtual machines"))
    dry = run("import", "--dry-run", str(notes))
    assert dry.exit_code == 0, dry.output
    assert "moved" in dry.output
    assert "Compute › Machines › EC2 → Compute › Virtual machines" in dry.output
    assert run_json("import", "--dry-run", str(notes))["moved"] == 2
    quiet = run("import", str(notes))
    assert "2 moved (history kept); --verbose lists them" in quiet.output
    write(notes, NOTES)
    verbose = run("import", "--verbose", str(notes))
    assert "Compute › Virtual machines › AMI → Compute › Machines" in verbose.output


def test_a_directory_deck_follows_a_bullet_to_another_file_and_a_split_file(
    tmp_path: Path, db_path: Path
) -> None:
    notes = tmp_path / "notes"
    write(notes / "lambda.md", "* **Cold start** - the delay before a new runtime serves its first request\n"
                               "* **Layer** - a zip of libraries shared by functions\n")  # fmt: skip
    write(notes / "serverless.md", "# Serverless\n* **Fargate** - containers without servers\n")
    run_json("import", str(notes))
    cards = cards_by_front()
    assert (cards["Cold start"]["context"], cards["Fargate"]["context"]) == ("lambda", "Serverless")
    give_history(db_path, cards["Cold start"]["id"], cards["Layer"]["id"])
    write(notes / "lambda.md", "* **Layer** - a zip of libraries shared by functions\n")
    write(notes / "serverless.md", "# Serverless\n* **Fargate** - containers without servers\n"
                                   "* **Cold start** - the delay before a new runtime serves its first request\n")  # fmt: skip
    moved = run_json("import", str(notes))
    assert (moved["moved"], moved["added"], moved["retired"]) == (1, 0, 0)
    # The file split in two: its second half becomes a file of its own, with a title of its own.
    write(notes / "serverless.md", "# Serverless\n* **Fargate** - containers without servers\n")
    write(
        notes / "functions.md",
        "# Functions\n* **Cold start** - the delay before a new runtime serves its first request\n",
    )
    split = run_json("import", str(notes))
    assert (split["moved"], split["added"], split["retired"]) == (1, 0, 0)
    after = cards_by_front()
    assert after["Cold start"]["id"] == cards["Cold start"]["id"] and after["Cold start"]["reps"] == 2
    assert after["Cold start"]["context"] == "Functions" and after["Layer"]["reps"] == 2
    assert {card["deck"] for card in after.values()} == {"notes"}


def test_a_move_is_kept_when_the_import_also_prunes(tmp_path: Path, db_path: Path) -> None:
    notes = write(tmp_path / "compute.md", NOTES)
    run_json("import", str(notes))
    ec2 = cards_by_front()["EC2"]["id"]
    give_history(db_path, ec2)
    write(notes, NOTES.replace("## Machines\n* **EC2** - virtual machines\n", "## Machines\n").replace(
        "## Serverless\n", "## Serverless\n* **EC2** - virtual machines\n"))  # fmt: skip
    result = run_json("import", "--prune", str(notes))
    assert (result["moved"], result["pruned"], result["retired"]) == (1, 0, 0)
    card = cards_by_front()["EC2"]
    assert card["id"] == ec2 and card["reps"] == 2 and card["context"] == "Compute › Serverless"
