"""Import reconciliation, pure: snapshot + drafts -> plan (`tests.whole_deck`), no database, no disk."""

from __future__ import annotations

from collections.abc import Collection

from dva_cards.extract import CardDraft, Skipped
from dva_cards.identity import card_id, content_hash, join_context, normalize_term
from dva_cards.reconcile import Counts, ExistingCard, FileInput
from tests.whole_deck import DeckSnapshot, reconcile_deck

CONTEXT = ("AWS",)


def draft(front: str, back: str, line: int, occurrence: int = 0) -> CardDraft:
    return CardDraft(CONTEXT, front, back, line, occurrence)


STORED_BACKS: dict[str, str] = {}  # what the store would answer for the cards `stored` made


def stored(source: str, front: str, back: str, line: int, *, retired: bool = False) -> ExistingCard:
    identity = card_id("d", CONTEXT, normalize_term(front), 0)
    STORED_BACKS[identity] = back
    return ExistingCard(
        identity, source, line, content_hash(front, back), retired, join_context(CONTEXT), front
    )


def everything_exists(_: str) -> bool:
    return True


def stored_answers(ids: Collection[str]) -> dict[str, str]:
    return {identity: STORED_BACKS[identity] for identity in ids}


def test_new_file_inserts_every_draft_and_names_them_like_cards_json() -> None:
    plan = reconcile_deck(
        DeckSnapshot("d", ()),
        [
            FileInput(
                "a.md", [draft("S3", "storage", 2), draft("EC2", "compute", 3)], [Skipped(4, "empty", "* x")]
            )
        ],
        everything_exists,
        stored_answers,
    )
    (file_plan,) = plan.files
    assert plan.counts == Counts(added=2)
    assert [card.front for card in file_plan.inserts] == ["S3", "EC2"]
    assert file_plan.skipped[0].to_json() == {"source": "a.md", "line": 4, "reason": "empty", "text": "* x"}
    shown = file_plan.new_cards("d")[0].to_json()
    assert shown["leech"] is False and shown["ease"] == 2500 and shown["due"] is None and shown["deck"] == "d"


def test_edited_answer_keeps_the_id_and_a_vanished_bullet_is_retired() -> None:
    s3, ec2 = stored("a.md", "S3", "storage", 2), stored("a.md", "EC2", "compute", 3)
    plan = reconcile_deck(
        DeckSnapshot("d", (s3, ec2)),
        [FileInput("a.md", [draft("s3", "object storage", 5)])],
        everything_exists,
        stored_answers,
    )
    (file_plan,) = plan.files
    assert plan.counts == Counts(updated=1, retired=1)
    assert [write.id for write in file_plan.updates] == [s3.id]
    assert file_plan.retirements == (ec2.id,)
    assert file_plan.inserts == () and file_plan.takeovers == ()


def test_unchanged_card_in_place_writes_nothing() -> None:
    s3 = stored("a.md", "S3", "storage", 2)
    plan = reconcile_deck(
        DeckSnapshot("d", (s3,)),
        [FileInput("a.md", [draft("S3", "storage", 2)])],
        everything_exists,
        stored_answers,
    )
    assert plan.counts == Counts(unchanged=1) and plan.files[0].updates == ()


def test_retired_card_comes_back_as_a_restoration() -> None:
    s3 = stored("a.md", "S3", "storage", 2, retired=True)
    plan = reconcile_deck(
        DeckSnapshot("d", (s3,)),
        [FileInput("a.md", [draft("S3", "storage", 7)])],
        everything_exists,
        stored_answers,
    )
    assert plan.counts == Counts(restored=1)
    assert plan.files[0].restorations == (s3.id,) and plan.files[0].updates[0].line == 7


def test_card_of_a_file_that_is_gone_is_taken_over_but_a_live_one_is_not() -> None:
    s3 = stored("old.md", "S3", "storage", 2)
    files = [FileInput("new.md", [draft("S3", "storage", 2)])]
    moved = reconcile_deck(
        DeckSnapshot("d", (s3,)), files, lambda path: path != "old.md", stored_answers
    ).files[0]
    assert moved.takeovers == (s3.id,) and moved.inserts == ()
    twin = reconcile_deck(DeckSnapshot("d", (s3,)), files, everything_exists, stored_answers).files[0]
    assert twin.takeovers == () and len(twin.inserts) == 1 and twin.inserts[0].id != s3.id


def test_two_files_of_one_import_keep_equal_terms_as_two_cards() -> None:
    files = [FileInput(name, [draft("S3", "storage", 2)]) for name in ("a.md", "b.md")]
    plan = reconcile_deck(DeckSnapshot("d", ()), files, everything_exists, stored_answers)
    ids = [file_plan.inserts[0].id for file_plan in plan.files]
    assert plan.counts == Counts(added=2) and len(set(ids)) == 2


def test_a_whole_import_shows_retired_and_added_cards_across_files() -> None:
    s3 = stored("a.md", "S3", "storage", 2)
    files = [FileInput("a.md", []), FileInput("b.md", [draft("Glacier", "archive", 1)])]
    plan = reconcile_deck(DeckSnapshot("d", (s3,)), files, everything_exists, stored_answers)
    assert [f.retirements for f in plan.files] == [(s3.id,), ()]
    assert [len(f.inserts) for f in plan.files] == [0, 1]


def test_unchanged_file_counts_its_live_cards_and_prune_counts_the_retired() -> None:
    live, gone = stored("a.md", "S3", "storage", 2), stored("a.md", "EC2", "compute", 3, retired=True)
    plan = reconcile_deck(
        DeckSnapshot("d", (live, gone)),
        [FileInput("a.md", None, prune=True)],
        everything_exists,
        stored_answers,
    )
    (file_plan,) = plan.files
    assert not file_plan.changed and file_plan.prune
    assert plan.counts == Counts(unchanged=1, pruned=1)


def test_a_pruned_card_cannot_be_restored_by_a_later_file() -> None:
    gone = stored("a.md", "S3", "storage", 2, retired=True)
    files = [FileInput("a.md", [], prune=True), FileInput("a.md", [draft("S3", "storage", 2)])]
    plan = reconcile_deck(DeckSnapshot("d", (gone,)), files, everything_exists, stored_answers)
    assert plan.files[1].counts == Counts(added=1)


def test_an_unchanged_file_counts_its_live_cards_as_a_full_reconcile_does() -> None:
    from dva_cards.reconcile import DeckImport

    cards = [stored("a.md", f"T{n}", "x", n, retired=n == 3) for n in range(1, 7)]
    ids = [card.id for card in cards]
    file = FileInput("a.md", None, recorded_skips=())

    def imported() -> DeckImport:
        work = DeckImport("d", movable=True)
        work.held[ids[0]] = 0  # retired by an earlier file of this import, not yet written
        work.pruned[ids[1]] = 0  # deleted by an earlier prune of this import
        return work

    lookup = {card.id: card for card in cards}.get
    full = imported().reconcile(file, 1, cards, lookup, everything_exists)
    live = [card.id for card in cards if not card.retired]
    fast = imported().unchanged(file, live)
    assert fast == full
    assert fast.counts == Counts(unchanged=3)
