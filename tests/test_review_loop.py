"""The review loop with everything injected: scripted keys, a hand-moved clock, a console writing to a string."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from dva_cards.errors import UserError
from dva_cards.review import (
    SessionOptions,
    Summary,
    chosen_editor,
    describe_outcome,
    editor_command,
    format_days,
    grade_line,
    launch_editor,
    run_session,
    section_matches,
)
from dva_cards.scheduler import SM2State
from dva_cards.settings import Settings
from dva_cards.store import Store
from tests.review_fixtures import (
    FRONTS,
    NOTES,
    START,
    TODAY,
    Clock,
    ScriptedKeys,
    card_row,
    ids_by_front,
    import_text,
    make_console,
    review_rows,
    set_card,
)


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    return tmp_path / "notes" / "aws.md"


@pytest.fixture
def store(tmp_path: Path, notes: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "collection.db") as opened:
        import_text(opened, notes)
        yield opened


def session(
    store: Store,
    keys: list[str | BaseException],
    *,
    settings: Settings | None = None,
    clock: Clock | None = None,
    edit: object = None,
    **options: object,
) -> tuple[Summary, str, ScriptedKeys]:
    clock = clock or Clock()
    scripted = ScriptedKeys(keys, clock)
    console, out = make_console()
    summary = run_session(
        store, settings or Settings(), now=clock, console=console, keys=scripted,
        options=SessionOptions(**options), edit=edit, tz=UTC,  # type: ignore[arg-type]
    )  # fmt: skip
    return summary, out.getvalue(), scripted


def shown_fronts(output: str) -> list[str]:
    """The front of each card shown, in order: the line after the header's blank line."""
    lines = output.splitlines()
    return [lines[i + 3].strip() for i, line in enumerate(lines) if set(line.strip()) == {"─"}]


# -- a whole session ---------------------------------------------------------------------------------------------


def test_new_cards_in_source_order_each_answer_logged(store: Store) -> None:
    summary, out, _ = session(store, [" ", "4", " ", "5", " ", "1", "q"])
    assert shown_fronts(out) == ["EC2", "Lambda", "Timeout", "ASG"]
    rows = review_rows(store.connection)
    ids = ids_by_front(store)
    assert [(row["card_id"], row["quality"], row["kind"]) for row in rows] == [
        (ids["EC2"], 4, "review"), (ids["Lambda"], 5, "review"), (ids["Timeout"], 1, "review"),
    ]  # fmt: skip
    # The clock moves 2 s per key: prompt shown, 2 s to reveal, 2 s more to grade.
    assert [row["duration_ms"] for row in rows] == [4000, 4000, 4000]
    assert {row["day"] for row in rows} == {"2026-03-10"}
    ec2 = store.review_card(ids["EC2"])
    assert ec2 is not None and ec2.schedule.state == SM2State(1, 2500, 1, date(2026, 3, 11))
    timeout = store.review_card(ids["Timeout"])
    assert timeout is not None and timeout.schedule.state == SM2State(0, 2500, 0, TODAY)
    assert (summary.reviewed, summary.correct, summary.correct_percent) == (3, 2, 67)
    assert summary.seconds == 12.0  # the three answers, card shown to grade, as `stats` counts time today
    assert summary.due_tomorrow == 3  # EC2 and Lambda tomorrow, Timeout still due from today
    assert "Reviewed 3 · correct 67% · time 12 s · due tomorrow 3" in out


def test_header_shows_deck_context_and_counts(store: Store) -> None:
    _, out, _ = session(store, [" ", "3", "q"])
    lines = out.splitlines()
    assert any(
        line.startswith("aws › Compute") and line.endswith("6 new · 0 review · 0 drill") for line in lines
    )
    assert any(
        line.startswith("aws › Compute") and line.endswith("5 new · 0 review · 1 drill") for line in lines
    )
    assert "0 blackout · 1 wrong · 2 almost · 3 hard today · 4 good 1d · 5 easy 1d" in out


def test_grades_shown_with_their_intervals(store: Store) -> None:
    set_card(store, ids_by_front(store)["EC2"], reps=2, ease=2500, interval=6, due="2026-03-10")
    _, out, _ = session(store, [" ", "q"])
    assert "0 blackout · 1 wrong · 2 almost · 3 hard today · 4 good 15d · 5 easy 16d" in out


def test_drills_come_back_until_graded_4(store: Store) -> None:
    settings = Settings(new_per_day=1)
    _, out, _ = session(store, [" ", "3", " ", "3", " ", "4"], settings=settings)
    assert shown_fronts(out) == ["EC2", "EC2", "EC2"]
    assert [row["kind"] for row in review_rows(store.connection)] == ["review", "drill", "drill"]
    assert "Done for today." in out
    card = store.review_card(ids_by_front(store)["EC2"])
    assert card is not None and card.schedule.state == SM2State(1, 2360, 1, date(2026, 3, 11))


def test_reviews_first_most_overdue_first_then_new(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["S3"], reps=2, interval=6, due="2026-03-09")
    set_card(store, ids["EBS"], reps=2, interval=6, due="2026-02-01")
    _, out, _ = session(store, [" ", "5"] * 4, settings=Settings(new_per_day=2))
    assert shown_fronts(out) == ["EBS", "S3", "EC2", "Lambda"]


def test_limits_count_what_today_already_used(store: Store) -> None:
    settings = Settings(new_per_day=2)
    session(store, [" ", "4", " ", "4"], settings=settings)
    _, out, _ = session(store, ["q"], settings=settings)
    assert "Nothing to review today." in out
    assert "Today's 2 new cards are used up" in out
    # --new N: this many more today, whatever was used.
    _, out, _ = session(store, [" ", "4", "q"], settings=settings, new_limit=1)
    assert shown_fronts(out) == ["Timeout"]
    # Another day, another allowance.
    _, out, _ = session(store, [], settings=settings, clock=Clock(START + timedelta(days=1)))
    assert shown_fronts(out)[:1] == ["EC2"]  # due again: the two of yesterday come first
    assert "0 new · 3 review · 0 drill" not in out and "2 new · 3 review · 0 drill" in out


def test_review_limit(store: Store) -> None:
    ids = ids_by_front(store)
    for front in ("S3", "EBS", "EC2"):
        set_card(store, ids[front], reps=2, interval=6, due="2026-03-09")
    _, out, _ = session(store, ["q"], settings=Settings(reviews_per_day=2, new_per_day=0))
    assert "0 new · 2 review · 0 drill" in out
    _, out, _ = session(store, ["q"], settings=Settings(new_per_day=0), review_limit=1)
    assert "0 new · 1 review · 0 drill" in out


def test_day_follows_the_rollover_hour(store: Store) -> None:
    late = datetime(2026, 3, 11, 2, 30, tzinfo=UTC)  # 2:30 on the 11th is still the 10th before 4 a.m.
    session(store, [" ", "4"], clock=Clock(late))
    assert review_rows(store.connection)[0]["day"] == "2026-03-10"
    session(store, [" ", "4"], clock=Clock(late), settings=Settings(rollover_hour=2))
    assert review_rows(store.connection)[1]["day"] == "2026-03-11"


def test_deck_option(store: Store, tmp_path: Path) -> None:
    import_text(store, tmp_path / "notes" / "k8s.md", "* **Pod** - smallest unit\n", deck="k8s")
    _, out, _ = session(store, [" ", "4"], deck="k8s")
    assert shown_fronts(out) == ["Pod"]
    with pytest.raises(UserError, match="unknown deck 'nope'"):
        session(store, [], deck="nope")


# -- keys ----------------------------------------------------------------------------------------------------------


def test_grade_before_reveal_is_refused(store: Store) -> None:
    _, out, _ = session(store, ["4", "q"])
    assert "Show the answer first" in out
    assert review_rows(store.connection) == []


def test_help_and_unknown_keys(store: Store) -> None:
    _, out, _ = session(store, ["?", "x", "q"])
    assert "bury this card until tomorrow" in out
    assert "Unknown key 'x'" in out


def test_enter_reveals_too(store: Store) -> None:
    session(store, ["\n", "5", "q"])
    assert len(review_rows(store.connection)) == 1


def test_undo_restores_exact_state_and_shows_the_card_again(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(
        store, ids["S3"], reps=3, interval=15, due="2026-03-09", lapses=7, last_review="2026-02-22 08:00:00.5"
    )
    before = {card_id: card_row(store.connection, card_id) for card_id in ids.values()}
    settings = Settings(new_per_day=1, leech_action="suspend")
    # S3 lapses an 8th time (a leech, suspended), EC2 passes; undo both, then grade S3 again.
    _, out, _ = session(store, [" ", "0", " ", "4", "u", "u", " ", "5", "q"], settings=settings)
    assert shown_fronts(out) == ["S3", "EC2", "EC2", "S3", "EC2"]
    assert "Leech: this card has lapsed 8 times; suspended." in out
    assert "Undone: grade 4 of EC2" in out and "Undone: grade 0 of S3" in out
    rows = review_rows(store.connection)
    assert [(row["card_id"], row["quality"]) for row in rows] == [(ids["S3"], 5)]
    assert card_row(store.connection, ids["EC2"]) == before[ids["EC2"]]
    s3 = store.review_card(ids["S3"])
    assert s3 is not None and not s3.schedule.leech and not s3.schedule.suspended
    assert s3.schedule.state.lapses == 7


def test_undo_with_nothing_to_undo(store: Store) -> None:
    _, out, _ = session(store, ["u", "q"])
    assert "Nothing to undo." in out


def test_suspend_and_bury_leave_the_session_and_can_be_undone(store: Store) -> None:
    ids = ids_by_front(store)
    before = card_row(store.connection, ids["Lambda"])
    _, out, _ = session(store, ["s", "b", "u", " ", "4", "q"])  # the undo comes with Timeout shown
    assert shown_fronts(out) == ["EC2", "Lambda", "Timeout", "Lambda", "Timeout"]
    ec2 = store.review_card(ids["EC2"])
    assert ec2 is not None and ec2.schedule.suspended
    lambda_ = store.review_card(ids["Lambda"])
    assert lambda_ is not None and lambda_.schedule.state.reps == 1 and lambda_.schedule.buried_until is None
    schedule_columns = 12  # the trailing columns: SM-2 state, flags, last review, FSRS memory
    assert card_row(store.connection, ids["Lambda"])[:-schedule_columns] == before[:-schedule_columns]


def test_buried_card_is_back_tomorrow_and_suspended_is_not(store: Store) -> None:
    ids = ids_by_front(store)
    session(store, ["s", "b", "q"], settings=Settings(new_per_day=2))
    lambda_ = store.review_card(ids["Lambda"])
    assert lambda_ is not None and lambda_.schedule.buried_until == date(2026, 3, 11)
    _, out, _ = session(store, ["q"], settings=Settings(new_per_day=2))
    assert shown_fronts(out) == ["Timeout"]
    _, out, _ = session(
        store, ["q"], settings=Settings(new_per_day=2), clock=Clock(START + timedelta(days=1))
    )
    assert shown_fronts(out) == ["Lambda"]


def test_leech_flag_keeps_the_card(store: Store) -> None:
    ids = ids_by_front(store)
    set_card(store, ids["S3"], reps=3, interval=15, due="2026-03-09", lapses=2)
    settings = Settings(new_per_day=0, leech_threshold=3)
    _, out, _ = session(store, [" ", "1", " ", "4"], settings=settings)
    assert "Leech: this card has lapsed 3 times; flagged." in out
    assert shown_fronts(out) == ["S3", "S3"]
    s3 = store.review_card(ids["S3"])
    assert s3 is not None and s3.schedule.leech and not s3.schedule.suspended
    assert [row["kind"] for row in review_rows(store.connection)] == ["review", "drill"]


def test_ctrl_c_ends_with_the_summary_and_keeps_answers(store: Store) -> None:
    summary, out, _ = session(store, [" ", "4", " ", KeyboardInterrupt()])
    assert summary.reviewed == 1
    assert "Reviewed 1" in out
    assert len(review_rows(store.connection)) == 1


def test_end_of_input_quits_cleanly(store: Store) -> None:
    summary, out, _ = session(store, [" ", "5"])
    assert summary.reviewed == 1 and "Reviewed 1" in out


def test_markup_in_notes_prints_literally(store: Store, notes: Path) -> None:
    import_text(store, notes, "# [bold]Head[/bold]\n* **[red]Alarm[/]** - [blink]not markup[/blink] `[x]`\n")
    _, out, _ = session(store, [" ", "q"])
    assert "[red]Alarm[/]" in out
    assert "[blink]not markup[/blink]" in out
    assert "[bold]Head[/bold]" in out


# -- edit ---------------------------------------------------------------------------------------------------------


def test_edit_reimports_the_file_and_refreshes_the_card(store: Store, notes: Path) -> None:
    calls: list[tuple[Path, int]] = []

    def editor(path: Path, line: int) -> None:
        calls.append((path, line))
        path.write_text(
            NOTES.replace("virtual machines", "virtual servers, billed per second"), encoding="utf-8"
        )

    _, out, keys = session(store, ["e", " ", "4", "q"], edit=editor)
    assert calls == [(notes.resolve(), 2)]
    assert keys.paused_count == 1
    assert "Re-imported aws.md: 0 added, 1 updated, 0 retired." in out
    assert shown_fronts(out) == ["EC2", "EC2", "Lambda"]
    assert "virtual servers, billed per second" in out
    assert review_rows(store.connection)[0]["card_id"] == ids_by_front(store)["EC2"]


def test_edit_that_removes_the_card_retires_it_and_moves_on(store: Store, notes: Path) -> None:
    def editor(path: Path, line: int) -> None:
        path.write_text(NOTES.replace("* **EC2** - virtual machines\n", ""), encoding="utf-8")

    _, out, _ = session(store, ["e", " ", "4", "q"], edit=editor)
    assert "gone from the notes: it is retired" in out
    assert shown_fronts(out) == ["EC2", "Lambda", "Timeout"]


def test_edit_failure_is_a_message_not_a_crash(store: Store, notes: Path) -> None:
    def editor(path: Path, line: int) -> None:
        path.write_bytes(b"* **EC2** - caf\xe9\n")  # Latin-1, not UTF-8

    _, out, _ = session(store, ["e", "q"], edit=editor)
    assert "Edit:" in out
    assert session(store, ["e", "q"])[1].count("Editing is not available") == 1


def test_editor_command() -> None:
    notes = Path("/n/aws.md")
    assert editor_command("vim", notes, 12) == ["vim", "+12", "/n/aws.md"]
    assert editor_command("/usr/bin/nano -w", notes, 3) == ["/usr/bin/nano", "-w", "+3", "/n/aws.md"]
    assert editor_command("emacsclient -t", notes, 3) == ["emacsclient", "-t", "+3", "/n/aws.md"]
    assert editor_command("code --wait", notes, 7) == ["code", "--wait", "--goto", "/n/aws.md:7"]
    assert editor_command("hx", notes, 7) == ["hx", "/n/aws.md:7"]
    assert editor_command("ed", notes, 7) == ["ed", "/n/aws.md"]


# -- cram ------------------------------------------------------------------------------------------------------


def test_cram_shuffles_with_a_seed_and_leaves_the_schedule_alone(store: Store) -> None:
    before = {card_id: card_row(store.connection, card_id) for card_id in ids_by_front(store).values()}
    keys = [" ", "5"] * 6
    _, first, _ = session(store, keys, cram=True, seed=3)
    _, second, _ = session(store, keys, cram=True, seed=3)
    order = shown_fronts(first)
    assert order == shown_fronts(second)
    assert sorted(order) == sorted(FRONTS)
    assert order != FRONTS
    assert {card_id: card_row(store.connection, card_id) for card_id in before} == before
    rows = review_rows(store.connection)
    assert len(rows) == 12 and {row["kind"] for row in rows} == {"cram"}
    assert "Cram: 6 cards from all decks. The schedule is not changed." in first
    assert store.answers_today(TODAY) == (0, 0)


def test_cram_section_and_wrong_answers_come_back(store: Store) -> None:
    _, out, _ = session(
        store, [" ", "1", " ", "5", " ", "5", " ", "5"], cram=True, section="compute › lambda", seed=1
    )
    order = shown_fronts(out)
    assert sorted(order[:1]) == ["Timeout"]
    assert order == ["Timeout", "Timeout"]
    assert "Cram done." in out
    _, out, _ = session(store, ["q"], cram=True, deck="aws", section="COMPUTE")
    assert "Cram: 4 cards from aws › COMPUTE." in out


def test_cram_unknown_section_is_an_error(store: Store) -> None:
    with pytest.raises(
        UserError, match="no cards in section 'Lambda' of deck aws .sections: Compute, Storage"
    ):
        session(store, [], cram=True, deck="aws", section="Lambda")


def test_cram_undo(store: Store) -> None:
    _, out, _ = session(store, [" ", "2", "u", "q"], cram=True, seed=0)
    assert review_rows(store.connection) == []
    fronts = shown_fronts(out)
    assert fronts[0] == fronts[2] != fronts[1]


def test_cram_limit(store: Store) -> None:
    summary, out, _ = session(store, [" ", "5", " ", "5", " ", "5"], cram=True, review_limit=2, seed=0)
    assert summary.reviewed == 2 and "Cram: 2 cards" in out


# -- small pure pieces -------------------------------------------------------------------------------------------


def test_section_matches() -> None:
    assert section_matches("EC2 › Purchasing Options › On-Demand", "ec2")
    assert section_matches("EC2 › Purchasing Options › On-Demand", "EC2 > purchasing options")
    assert section_matches("EC2", "EC2")
    assert not section_matches("EC2 Basics", "EC2")
    assert not section_matches("AWS › EC2", "EC2")
    assert not section_matches("EC2", "")
    # A heading that itself contains " > " is split the same way on both sides.
    assert section_matches("Input > Output › Pipes", "Input > Output")


def test_formatting() -> None:
    assert [format_days(d) for d in (0, 1, 30, 45, 400)] == ["today", "1d", "30d", "1.5mo", "1.1y"]
    assert (
        grade_line({0: 0, 5: 6}).plain == "0 blackout · 1 wrong · 2 almost · 3 hard · 4 good · 5 easy 6d"
    )  # 3 and 4 not in the preview
    assert describe_outcome(3, SM2State(1, 2360, 1, TODAY + timedelta(1), drill=True), TODAY).endswith(
        "4 or 5."
    )
    assert (
        describe_outcome(4, SM2State(2, 2500, 6, TODAY + timedelta(6)), TODAY)
        == "4: next in 6d (2026-03-16)."
    )
    assert Summary().correct_percent is None


def test_card_deleted_while_shown_is_left_and_the_session_goes_on(store: Store) -> None:
    first_id, first_front = store.connection.execute(
        "SELECT id, front FROM card ORDER BY source, line LIMIT 1"
    ).fetchone()

    class PruneElsewhere(ScriptedKeys):
        """Deletes the first card between its reveal and its grade, as a concurrent `import --prune` would."""

        def read_key(self) -> str:
            key = super().read_key()
            if (
                key == "4"
                and store.connection.execute("SELECT 1 FROM card WHERE id = ?", (first_id,)).fetchone()
            ):
                store.connection.execute("DELETE FROM card WHERE id = ?", (first_id,))
            return key

    clock = Clock()
    keys = PruneElsewhere([" ", "4", " ", "5", "q"], clock)
    console, out = make_console()
    summary = run_session(
        store, Settings(), now=clock, console=console, keys=keys, options=SessionOptions(), edit=None, tz=UTC
    )
    assert shown_fronts(out.getvalue())[0] == first_front
    assert "has left the collection" in out.getvalue()
    assert summary.reviewed == 1
    rows = review_rows(store.connection)
    assert len(rows) == 1 and rows[0]["card_id"] != first_id


def test_no_editor_is_one_clear_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UserError, match=r"set \$EDITOR \(or \$VISUAL\)"):
        chosen_editor({})
    with pytest.raises(UserError):
        chosen_editor({"EDITOR": "  "})
    assert chosen_editor({"EDITOR": "nano", "VISUAL": "code -w"}) == ("VISUAL", "code -w")
    assert chosen_editor({"EDITOR": "nano"}) == ("EDITOR", "nano")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    with pytest.raises(UserError, match="no editor"):
        launch_editor(Path("/n/aws.md"), 3)


def test_an_unclosed_quote_in_editor_is_a_message(
    store: Store, notes: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UserError, match=r"\$EDITOR is not a valid command line"):
        editor_command('vim "', Path("/n/aws.md"), 3)
    monkeypatch.setenv("EDITOR", 'vim "')
    monkeypatch.delenv("VISUAL", raising=False)
    summary, out, _ = session(store, ["e", " ", "4", "q"], edit=launch_editor)
    assert "Edit: $EDITOR is not a valid command line" in out  # the session goes on
    assert summary.reviewed == 1


def test_editor_time_is_not_review_time(store: Store, notes: Path) -> None:
    clock = Clock()

    def slow_editor(path: Path, line: int) -> None:
        clock.advance(600)  # ten minutes in the editor

    summary, _, _ = session(store, ["e", " ", "4", "q"], edit=slow_editor, clock=clock)
    [row] = review_rows(store.connection)
    assert row["duration_ms"] == 4000  # shown again after the edit: reveal, grade
    assert summary.milliseconds == 4000
