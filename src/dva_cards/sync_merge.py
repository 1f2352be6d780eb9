"""The rules of a sync between machines. Pure: rows in, a plan and card states out.

What syncs: answers (immutable, each with a global id; an undo is a deletion of one), cards' shared content
(front, back, context, deck, retirement, suspension, burial, leech flag), prunes, and settings (the `sync-*`
keys stay on their machine). Each write to a card or a setting carries a logical clock and the machine that
made it; of two writes, the one with the greater (clock, device) pair wins, on every machine alike.

A card's scheduling state is never sent: it is the replay of the union of every machine's answers, in
(`reviewed_at`, uid) order, with the collection's scheduler (`rederived`). So two machines that answered the
same card on the same day both keep their answers, and any order of syncs ends in the same states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

from . import scheduling
from .card_state import AnswerKind
from .fsrs import CardMemory, Review
from .scheduler import SM2State
from .scheduling import Scheduling

# (logical clock, device id): how two writes of the same card or setting are ordered.
Clock = tuple[int, str]

LOCAL_SETTING_PREFIX = "sync-"  # settings that stay on their machine: the server's URL, the watermarks
# Settings whose change alters every card's replay: pulling one re-derives the whole collection.
REPLAY_SETTINGS = frozenset({"scheduler", "fsrs-parameters"})


def is_shared_setting(key: str) -> bool:
    return not key.lower().startswith(LOCAL_SETTING_PREFIX)


def wins(incoming: Clock, current: Clock | None) -> bool:
    """Whether a write stamped `incoming` replaces the one stamped `current` (None: nothing there)."""
    return current is None or incoming > current


def lamport(counter: int, clocks: Iterable[int]) -> int:
    """The local clock after receiving writes stamped `clocks`: never behind any of them."""
    return max([counter, *clocks])


@dataclass(frozen=True)
class SharedCard:
    """A card's shared content as it travels: no source, no line, no schedule. `deleted`: a prune."""

    id: str
    deck: str
    context: str
    front: str
    back: str
    content_hash: str
    created_at: str
    retired_at: str | None
    suspended: bool
    buried_until: str | None
    leech: bool
    deleted: bool
    clock: int
    device: str

    @property
    def stamp(self) -> Clock:
        return (self.clock, self.device)


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: str | None  # None: unset
    clock: int
    device: str

    @property
    def stamp(self) -> Clock:
        return (self.clock, self.device)


# Every column of an answer that travels with it, in this order (the local integer id and deck id do not).
REVIEW_COLUMNS = (
    "card_id",
    "reviewed_at",
    "day",
    "quality",
    "kind",
    "duration_ms",
    "reps_before",
    "ease_before",
    "interval_before",
    "due_before",
    "drill_before",
    "lapses_before",
    "leech_before",
    "suspended_before",
    "reps_after",
    "ease_after",
    "interval_after",
    "due_after",
    "drill_after",
    "lapses_after",
    "stability_before",
    "difficulty_before",
    "stability_after",
    "difficulty_after",
)


@dataclass(frozen=True, slots=True)  # slots: a first pull holds every answer of the collection at once
class ReviewRow:
    """One answer as it travels: its global id, the machine that gave it, its deck's name and its columns
    (REVIEW_COLUMNS). `deleted`: the answer was undone (its columns are then empty)."""

    uid: str
    device: str
    deck: str | None
    values: tuple[Any, ...]
    deleted: bool = False

    @property
    def card_id(self) -> str:
        return str(self.values[0]) if self.values else ""


@dataclass(frozen=True)
class Pulled:
    """What the server holds that this machine has not seen."""

    cards: Sequence[SharedCard] = ()
    settings: Sequence[SettingRow] = ()
    reviews: Sequence[ReviewRow] = ()


@dataclass(frozen=True)
class LocalView:
    """What the local collection holds that the plan depends on."""

    card_clocks: Mapping[str, Clock]  # live cards and tombstones alike
    setting_clocks: Mapping[str, Clock]  # set settings and tombstones alike
    review_cards: Mapping[str, str]  # answers in the log (of those pulled): their cards, by global id
    undone_uids: frozenset[str] = frozenset()  # answers this machine knows were undone


@dataclass(frozen=True)
class PullPlan:
    cards: list[SharedCard] = field(
        default_factory=list
    )  # to write (insert or update), `deleted` ones to delete
    settings: list[SettingRow] = field(default_factory=list)  # to write, `value None` to unset
    new_reviews: list[ReviewRow] = field(default_factory=list)
    undone_reviews: list[ReviewRow] = field(default_factory=list)  # to delete from the log (and remember)
    touched_cards: frozenset[str] = frozenset()  # whose answers changed: to re-derive
    rederive_all: bool = False  # the scheduler or FSRS parameters were pulled: replay as their change did
    max_clock: int = 0  # the greatest clock received, for the Lamport rule

    @property
    def empty(self) -> bool:
        return not (self.cards or self.settings or self.new_reviews or self.undone_reviews)


class _Stamped(Protocol):
    @property
    def stamp(self) -> Clock: ...


Written = TypeVar("Written", bound=_Stamped)


def _winning_writes(
    rows: Iterable[Written], key: Callable[[Written], str], local: Mapping[str, Clock]
) -> list[Written]:
    """Of the pulled writes to each card or setting, the last one, where it wins over this machine's own; in
    the order the server sent them."""
    latest: dict[str, Written] = {}
    for row in rows:
        best = latest.get(key(row))
        if best is None or wins(row.stamp, best.stamp):
            latest[key(row)] = row
    return [row for name, row in latest.items() if wins(row.stamp, local.get(name))]


def plan_pull(pulled: Pulled, local: LocalView) -> PullPlan:
    """Which of the pulled rows change this collection. Idempotent: a plan made after applying the same rows
    again is empty."""
    card_writes = _winning_writes(pulled.cards, lambda card: card.id, local.card_clocks)
    shared = (setting for setting in pulled.settings if is_shared_setting(setting.key))
    setting_writes = _winning_writes(shared, lambda setting: setting.key, local.setting_clocks)
    new_reviews: dict[str, ReviewRow] = {}
    undone: dict[str, ReviewRow] = {}
    for review in pulled.reviews:
        if review.deleted:
            if review.uid in local.review_cards:  # one this machine never had needs no undoing
                undone[review.uid] = review
        elif review.uid not in local.review_cards and review.uid not in local.undone_uids:
            new_reviews[review.uid] = review
    for uid in undone:
        new_reviews.pop(uid, None)
    touched = {review.card_id for review in new_reviews.values()}
    touched.update(local.review_cards[uid] for uid in undone if uid in local.review_cards)
    clocks = [card.clock for card in pulled.cards] + [setting.clock for setting in pulled.settings]
    return PullPlan(
        cards=card_writes,  # in the server's order: a machine without the notes numbers new cards by it
        settings=sorted(setting_writes, key=lambda setting: setting.key),
        new_reviews=sorted(new_reviews.values(), key=lambda review: review.uid),
        undone_reviews=sorted(undone.values(), key=lambda review: review.uid),
        touched_cards=frozenset(touched),
        rederive_all=any(setting.key in REPLAY_SETTINGS for setting in setting_writes),
        max_clock=max(clocks, default=0),
    )


@dataclass(frozen=True)
class LoggedReview:
    """One answer of a card, as far as re-deriving its state goes."""

    uid: str
    reviewed_at: str
    day: date
    quality: int
    kind: str
    after: SM2State


def log_order(reviews: Iterable[LoggedReview]) -> list[LoggedReview]:
    """A card's answers in the one order every machine replays them in: by time, ties by global id."""
    return sorted(reviews, key=lambda review: (review.reviewed_at, review.uid))


@dataclass(frozen=True)
class Derived:
    state: SM2State
    memory: CardMemory | None
    last_review: str | None


def rederived(card_id: str, reviews: Iterable[LoggedReview], chosen: Scheduling) -> Derived:
    """A card's state from the union of its answers: the scheduler switch's own replays (docs/rules.md, "Card
    state and the review log"). Under SM-2 the SM-2 fold; under FSRS the state the last answer left, whose
    interval came from that day's settings, which the log does not keep. The FSRS memory is the fold of every
    answer but cram, under either scheduler."""
    everything = log_order(reviews)
    ordered = [review for review in everything if review.kind != AnswerKind.CRAM.value]
    history = [Review(review.day, review.quality) for review in ordered]
    memory = (
        scheduling.replay_memories({card_id: history}, chosen.parameters).get(card_id) if history else None
    )
    state = scheduling.replayed_state(history, everything[-1].after if everything else None, chosen.scheduler)
    return Derived(state, memory, ordered[-1].reviewed_at if ordered else None)


@dataclass(frozen=True)
class Counts:
    """Rows each way, for the summary and `--json`."""

    cards: int = 0
    settings: int = 0
    reviews: int = 0
    undone: int = 0

    @property
    def total(self) -> int:
        return self.cards + self.settings + self.reviews + self.undone

    def as_json(self) -> dict[str, int]:
        return {
            "cards": self.cards,
            "settings": self.settings,
            "reviews": self.reviews,
            "undone": self.undone,
        }


def mask_password(url: str) -> str:
    """A connection URL fit to print: any password replaced by `***`."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return _mask_query_password(url)
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return _mask_query_password(urlunsplit(parts._replace(netloc=f"{user}:***@{host}")))


def _mask_query_password(url: str) -> str:
    import re

    return re.sub(r"(?i)(password=)[^&]*", r"\1***", url)


def url_has_password(url: str) -> bool:
    from urllib.parse import parse_qs, urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.password is not None or "password" in {key.lower() for key in parse_qs(parts.query)}


def check_url(url: str) -> str | None:
    """Why `url` cannot name a sync server (None: it can)."""
    if not url.startswith(("postgresql://", "postgres://")):
        return "a sync URL starts with postgresql:// (e.g. postgresql://me@db.example.org/cards)"
    return None
