"""Per-collection settings: the known keys, their defaults, and the parsing that keeps bad values out. Pure.

Values are stored as text in the `setting` table, always in the normalized form `parse_value` returns, so a
stored value reads back the same way it was written. Reading refuses a value that does not parse (a
hand-edited collection) with a message that says how to fix it, rather than guessing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .clock import DEFAULT_ROLLOVER_HOUR
from .errors import UserError
from .fsrs import (
    DEFAULT_DESIRED_RETENTION,
    DEFAULT_MAXIMUM_INTERVAL,
    DEFAULT_PARAMETERS,
    MAX_DESIRED_RETENTION,
    MIN_DESIRED_RETENTION,
    Parameters,
    check_parameters,
)
from .scheduling import SchedulerName, Scheduling
from .session import DEFAULT_NEW_PER_DAY, DEFAULT_REVIEWS_PER_DAY

LEECH_ACTIONS = ("flag", "suspend")
MAX_DAILY_LIMIT = 1_000_000  # far beyond anyone's day, and small enough for an SQL LIMIT
DEFAULT_LEECH_THRESHOLD = 8  # lapses
DEFAULT_LEECH_ACTION = "flag"
# SM-2 for every collection unless chosen: its intervals are the ones the README has always promised, and FSRS
# is one `config set scheduler fsrs` away (it replays the log, so nothing is lost either way).
DEFAULT_SCHEDULER = SchedulerName.SM2
# Written by `optimize`, not by `config set`: the FSRS parameters fitted to this collection, as a JSON list.
FSRS_PARAMETERS_KEY = "fsrs-parameters"


@dataclass(frozen=True)
class Setting:
    key: str
    default: str
    help: str
    parse: Callable[[str], int | float | str]
    choices: tuple[str, ...] = ()  # the whole list of values, for a setting that takes one of a few words


@dataclass(frozen=True)
class Settings:
    """The effective settings of a collection: stored values over defaults."""

    new_per_day: int = DEFAULT_NEW_PER_DAY
    reviews_per_day: int = DEFAULT_REVIEWS_PER_DAY
    rollover_hour: int = DEFAULT_ROLLOVER_HOUR
    leech_threshold: int = DEFAULT_LEECH_THRESHOLD
    leech_action: str = DEFAULT_LEECH_ACTION
    scheduler: SchedulerName = DEFAULT_SCHEDULER
    desired_retention: float = DEFAULT_DESIRED_RETENTION
    maximum_interval: int = DEFAULT_MAXIMUM_INTERVAL
    fsrs_parameters: Parameters = DEFAULT_PARAMETERS

    @property
    def scheduling(self) -> Scheduling:
        return Scheduling(self.scheduler, self.fsrs_parameters, self.desired_retention, self.maximum_interval)


class SettingError(UserError):
    """An unknown key or a value that key does not accept."""


def _integer(low: int, high: int) -> Callable[[str], int | float | str]:
    def parse(text: str) -> int | float | str:
        # Plain ASCII digits only: int() would also take "+3", "3_0", " 3 " and non-ASCII digits.
        if not re.fullmatch(r"[0-9]+", text):
            raise ValueError(f"a whole number from {low} to {high}")
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"a whole number from {low} to {high}")
        return value

    return parse


def _decimal(low: float, high: float) -> Callable[[str], int | float | str]:
    def parse(text: str) -> int | float | str:
        # Plain decimals only (0.9, .85): float() would also take "nan", "inf" and "1e-1".
        if not re.fullmatch(r"[0-9]*\.?[0-9]+", text):
            raise ValueError(f"a decimal from {low:.2f} to {high:.2f}")
        value = round(float(text), 4)
        if not low <= value <= high:
            raise ValueError(f"a decimal from {low:.2f} to {high:.2f}")
        return value

    return parse


def _choice(*choices: str) -> Callable[[str], int | float | str]:
    def parse(text: str) -> int | float | str:
        value = text.lower()
        if value not in choices:
            raise ValueError(" or ".join(choices))
        return value

    return parse


def _sync_url(text: str) -> int | float | str:
    # The URL is kept in the collection: a password there would sit in plain text in a file that gets copied
    # and backed up. libpq takes it from PGPASSWORD or ~/.pgpass instead.
    from .sync_merge import check_url, url_has_password

    if text == "":
        return text
    problem = check_url(text)
    if problem is not None:
        raise ValueError(problem)
    if url_has_password(text):
        raise ValueError("a URL without a password (give the password in PGPASSWORD or ~/.pgpass)")
    return text


SETTINGS: dict[str, Setting] = {
    setting.key: setting
    for setting in (
        Setting(
            "new-per-day",
            str(DEFAULT_NEW_PER_DAY),
            "new cards introduced per day (all decks together)",
            _integer(0, MAX_DAILY_LIMIT),
        ),
        Setting(
            "reviews-per-day",
            str(DEFAULT_REVIEWS_PER_DAY),
            "due reviews shown per day at most (all decks together)",
            _integer(0, MAX_DAILY_LIMIT),
        ),
        Setting(
            "rollover-hour",
            str(DEFAULT_ROLLOVER_HOUR),
            "local hour (0-23) at which a new learner day begins",
            _integer(0, 23),
        ),
        Setting(
            "leech-threshold",
            str(DEFAULT_LEECH_THRESHOLD),
            "lapses that make a card a leech",
            _integer(1, MAX_DAILY_LIMIT),
        ),
        Setting(
            "leech-action",
            DEFAULT_LEECH_ACTION,
            "what happens to a leech: flag (keep reviewing it) or suspend",
            _choice(*LEECH_ACTIONS),
            LEECH_ACTIONS,
        ),
        Setting(
            "scheduler",
            DEFAULT_SCHEDULER.value,
            "sm2 or fsrs (switching replays the review log; nothing is lost)",
            _choice(*(name.value for name in SchedulerName)),
            tuple(name.value for name in SchedulerName),
        ),
        Setting(
            "desired-retention",
            str(DEFAULT_DESIRED_RETENTION),
            "FSRS: the chance of recall a card is scheduled at (0.70-0.99)",
            _decimal(MIN_DESIRED_RETENTION, MAX_DESIRED_RETENTION),
        ),
        Setting(
            "maximum-interval",
            str(DEFAULT_MAXIMUM_INTERVAL),
            "FSRS: the longest interval in days",
            _integer(1, DEFAULT_MAXIMUM_INTERVAL),
        ),
        Setting(
            "sync-url",
            "",
            "the PostgreSQL server `dva-cards sync` uses (this machine only; no password in it)",
            _sync_url,
        ),
    )
}


def normalize_key(key: str) -> str:
    """The canonical spelling of a known key (`new_per_day` and `NEW-PER-DAY` work too), else SettingError."""
    canonical = key.strip().lower().replace("_", "-")
    if canonical not in SETTINGS:
        raise SettingError(f"unknown setting {key!r} (known: {', '.join(SETTINGS)})")
    return canonical


def parse_value(key: str, value: str) -> str:
    """The normalized text to store for ``key``, or SettingError if the key or the value is not acceptable."""
    canonical = normalize_key(key)
    try:
        parsed = SETTINGS[canonical].parse(value.strip())
    except ValueError as error:
        if canonical == "sync-url":  # never echo a password back
            from .sync_merge import mask_password

            value = mask_password(value)
        raise SettingError(f"{canonical} must be {error}, not {value!r}") from None
    return str(parsed)


def effective(stored: Mapping[str, str]) -> Settings:
    """The settings a collection uses: each known key's stored value, or its default. Others are ignored."""

    def number(key: str) -> int:
        return int(typed_value(key, stored))

    return Settings(
        new_per_day=number("new-per-day"),
        reviews_per_day=number("reviews-per-day"),
        rollover_hour=number("rollover-hour"),
        leech_threshold=number("leech-threshold"),
        leech_action=str(typed_value("leech-action", stored)),
        scheduler=SchedulerName(str(typed_value("scheduler", stored))),
        desired_retention=float(typed_value("desired-retention", stored)),
        maximum_interval=number("maximum-interval"),
        fsrs_parameters=fsrs_parameters(stored),
    )


def fsrs_parameters(stored: Mapping[str, str]) -> Parameters:
    """The FSRS parameters `optimize` kept for this collection, else FSRS-6's defaults."""
    text = stored.get(FSRS_PARAMETERS_KEY)
    if text is None:
        return DEFAULT_PARAMETERS
    import json

    try:
        return check_parameters(json.loads(text))
    except (ValueError, TypeError) as error:
        raise SettingError(
            f"the FSRS parameters stored in the collection are invalid ({error}): "
            "run `dva-cards optimize` again"
        ) from None


def parameters_text(parameters: Parameters) -> str:
    """The stored form of fitted parameters (floats' shortest exact text: they read back bit for bit)."""
    import json

    return json.dumps(list(parameters))


def typed_value(key: str, stored: Mapping[str, str]) -> int | float | str:
    """The effective value of one known key, typed (int or str)."""
    setting = SETTINGS[key]
    text = stored.get(key)
    if text is None:
        return setting.parse(setting.default)
    try:
        return setting.parse(text.strip())
    except ValueError as error:
        raise SettingError(
            f"setting {key} in the collection is invalid ({text!r}; it must be {error}): "
            f"fix it with `dva-cards config set {key} VALUE` or `dva-cards config unset {key}`"
        ) from None
