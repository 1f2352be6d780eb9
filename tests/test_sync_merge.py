"""The pure rules of a sync (sync_merge): last writer wins, the pull plan, the replay of a merged log."""

from __future__ import annotations

from datetime import date

from dva_cards import scheduling
from dva_cards.fsrs import DEFAULT_PARAMETERS
from dva_cards.scheduler import SM2State, review
from dva_cards.scheduling import SchedulerName, Scheduling
from dva_cards.sync_merge import (
    LocalView,
    LoggedReview,
    Pulled,
    ReviewRow,
    SettingRow,
    SharedCard,
    lamport,
    log_order,
    mask_password,
    plan_pull,
    rederived,
    url_has_password,
    wins,
)

EMPTY = LocalView({}, {}, {})


def card(card_id: str, clock: int, device: str, front: str = "front", deleted: bool = False) -> SharedCard:
    return SharedCard(card_id, "deck", "ctx", front, "back", "h", "2026-01-01 00:00:00", None, False, None, False,
                   deleted, clock, device)  # fmt: skip


def test_the_greater_clock_wins_and_the_device_breaks_a_tie() -> None:
    assert wins((2, "a"), (1, "z"))
    assert wins((1, "b"), (1, "a"))
    assert not wins((1, "a"), (1, "a"))  # the same write again changes nothing
    assert wins((0, "a"), None)
    assert lamport(5, [3, 9]) == 9 and lamport(5, []) == 5


def test_a_card_write_is_taken_only_when_it_is_newer_than_the_local_one() -> None:
    local = LocalView({"c1": (5, "me"), "c2": (5, "me")}, {}, {})
    plan = plan_pull(Pulled(cards=[card("c1", 4, "x"), card("c2", 6, "x"), card("c3", 1, "x")]), local)
    assert [c.id for c in plan.cards] == ["c2", "c3"]
    assert plan.max_clock == 6


def test_of_two_pulled_writes_of_one_card_the_later_is_applied_whatever_their_order() -> None:
    rows = [card("c1", 3, "x", "old"), card("c1", 7, "y", "new"), card("c1", 7, "a", "tie")]
    for ordering in (rows, rows[::-1], [rows[1], rows[0], rows[2]]):
        assert [c.front for c in plan_pull(Pulled(cards=ordering), EMPTY).cards] == ["new"]


def test_a_prune_is_a_write_like_any_other() -> None:
    plan = plan_pull(Pulled(cards=[card("c1", 9, "x", deleted=True)]), LocalView({"c1": (3, "me")}, {}, {}))
    assert plan.cards[0].deleted


def test_settings_stay_local_when_they_are_sync_settings_and_a_scheduler_change_replays_everything() -> None:
    pulled = Pulled(
        settings=[SettingRow("sync-url", "postgresql://x", 9, "x"), SettingRow("scheduler", "fsrs", 4, "x")]
    )
    plan = plan_pull(pulled, LocalView({}, {"scheduler": (3, "me")}, {}))
    assert [s.key for s in plan.settings] == ["scheduler"] and plan.rederive_all
    assert not plan_pull(pulled, LocalView({}, {"scheduler": (4, "z")}, {})).rederive_all


def test_reviews_already_here_are_skipped_and_an_undo_removes_only_what_is_here() -> None:
    values = ("c1", "2026-01-01 10:00:00", "2026-01-01", 4)
    pulled = Pulled(
        reviews=[
            ReviewRow("u1", "x", "deck", values),
            ReviewRow("u2", "x", "deck", values),
            ReviewRow("u3", "x", None, (), deleted=True),
            ReviewRow("u4", "x", None, (), deleted=True),
        ]
    )
    plan = plan_pull(pulled, LocalView({}, {}, {"u1": "c1", "u3": "c9"}))
    assert [r.uid for r in plan.new_reviews] == ["u2"]
    assert [r.uid for r in plan.undone_reviews] == ["u3"]
    assert plan.touched_cards == {"c1", "c9"}
    again = plan_pull(pulled, LocalView({}, {}, {"u1": "c1", "u2": "c1"}, frozenset({"u3"})))
    assert again.empty  # idempotent


def answers(*graded: tuple[str, str, int, int]) -> list[LoggedReview]:
    """(uid, reviewed_at, day of January, grade) -> the answers, each with the after state SM-2 gives in order."""
    out, state = [], SM2State()
    for uid, at, day, grade in sorted(graded, key=lambda g: (g[1], g[0])):
        state = review(state, grade, date(2026, 1, day))
        out.append(LoggedReview(uid, at, date(2026, 1, day), grade, "review", state))
    return out


def test_a_merged_log_is_replayed_in_time_order_with_ties_by_global_id() -> None:
    log = answers(
        ("b", "2026-01-01 09:00", 1, 4), ("a", "2026-01-01 09:00", 1, 2), ("c", "2026-01-02 09:00", 2, 5)
    )
    assert [r.uid for r in log_order(reversed(log))] == ["a", "b", "c"]
    sm2 = Scheduling(SchedulerName.SM2, DEFAULT_PARAMETERS, 0.9, 36500)
    forward = rederived("c1", log, sm2)
    assert forward == rederived("c1", list(reversed(log)), sm2)
    expected = scheduling.replay_sm2(
        {"c1": [__import__("dva_cards.fsrs").fsrs.Review(r.day, r.quality) for r in log]}
    )
    assert forward.state == expected["c1"] and forward.last_review == "2026-01-02 09:00"
    assert forward.memory is not None


def test_under_fsrs_the_state_is_the_last_answers_and_cram_changes_no_memory() -> None:
    log = answers(("a", "2026-01-01 09:00", 1, 4), ("b", "2026-01-03 09:00", 3, 5))
    cram = LoggedReview("z", "2026-01-09 09:00", date(2026, 1, 9), 0, "cram", log[-1].after)
    fsrs = Scheduling(SchedulerName.FSRS, DEFAULT_PARAMETERS, 0.9, 36500)
    derived = rederived("c1", [*log, cram], fsrs)
    assert derived.state == log[-1].after and derived.last_review == "2026-01-03 09:00"
    assert derived.memory == rederived("c1", log, fsrs).memory
    assert rederived("c1", [], fsrs).state == SM2State() and rederived("c1", [], fsrs).memory is None


def test_passwords_are_never_shown() -> None:
    assert (
        mask_password("postgresql://me:s3cret@db.example.org/cards")
        == "postgresql://me:***@db.example.org/cards"
    )
    assert "s3cret" not in mask_password("postgresql://db/cards?password=s3cret&sslmode=require")
    assert url_has_password("postgresql://me:x@h/d") and url_has_password("postgresql://h/d?password=x")
    assert not url_has_password("postgresql://me@h/d?sslmode=require")


def test_a_merged_log_is_judged_machine_by_machine() -> None:
    from dva_cards.fsrs import Review
    from dva_cards.replay import NEW_CARD, LoggedAnswer, broken_links

    day = date(2026, 3, 2)
    on_a = review(NEW_CARD, 4, day)
    on_b = review(NEW_CARD, 2, day)  # given at the same time on another machine, on the state it had
    merged_state = scheduling.replay_sm2({"c": [Review(day, 4), Review(day, 2)]})["c"]
    first = LoggedAnswer(1, NEW_CARD, on_a, Review(day, 4), None)
    second = LoggedAnswer(2, NEW_CARD, on_b, Review(day, 2), "b")
    after_sync = LoggedAnswer(3, merged_state, review(merged_state, 5, day), Review(day, 5), "b")
    assert broken_links([first, second, after_sync], merged=True) == ()
    assert broken_links([first, second, after_sync]) == (2, 3)  # one machine's log must chain
    # Two sessions at once on one machine are still a break, merged or not.
    twice = LoggedAnswer(4, on_b, review(on_b, 3, day), Review(day, 3), "b")
    assert broken_links([first, second, after_sync, twice], merged=True) == (4,)
