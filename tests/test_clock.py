"""The learner's day: rollover hour, time zones and DST weekends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

import pytest
from dateutil import tz
from hypothesis import given
from hypothesis import strategies as st

from dva_cards.clock import add_days, day_bounds, day_start, learner_today


def zone(name: str) -> tzinfo:
    found = tz.gettz(name)
    assert found is not None, f"time zone data for {name} is missing"
    return found


BERLIN = zone("Europe/Berlin")
NEW_YORK = zone("America/New_York")
HOURS = timedelta(hours=1)


def local(
    zone_: tzinfo, year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, fold: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=zone_, fold=fold)


# --- rollover ----------------------------------------------------------------------------------------------


def test_before_the_rollover_hour_it_is_still_yesterday() -> None:
    assert learner_today(local(BERLIN, 2026, 1, 10, 3, 59, 59), tz=BERLIN) == date(2026, 1, 9)


def test_at_the_rollover_hour_the_new_day_begins() -> None:
    assert learner_today(local(BERLIN, 2026, 1, 10, 4, 0), tz=BERLIN) == date(2026, 1, 10)


def test_late_evening_is_the_same_day() -> None:
    assert learner_today(local(BERLIN, 2026, 1, 10, 23, 59), tz=BERLIN) == date(2026, 1, 10)


def test_a_rollover_at_midnight_is_the_calendar_date() -> None:
    assert learner_today(local(BERLIN, 2026, 1, 10, 0, 0), 0, BERLIN) == date(2026, 1, 10)
    assert learner_today(local(BERLIN, 2026, 1, 9, 23, 59, 59), 0, BERLIN) == date(2026, 1, 9)


def test_a_custom_rollover_hour() -> None:
    assert learner_today(local(BERLIN, 2026, 1, 10, 6, 59), 7, BERLIN) == date(2026, 1, 9)
    assert learner_today(local(BERLIN, 2026, 1, 10, 7, 0), 7, BERLIN) == date(2026, 1, 10)


def test_the_instant_is_read_in_the_learners_zone_not_in_its_own() -> None:
    # 02:30 UTC is 03:30 in Berlin in winter (before the rollover) and 21:30 the evening before in New York.
    instant = datetime(2026, 1, 10, 2, 30, tzinfo=UTC)
    assert learner_today(instant, tz=BERLIN) == date(2026, 1, 9)
    assert learner_today(instant, tz=NEW_YORK) == date(2026, 1, 9)
    assert learner_today(instant, tz=UTC) == date(2026, 1, 9)
    assert learner_today(instant + 2 * HOURS, tz=UTC) == date(2026, 1, 10)


def test_no_zone_means_the_systems_local_zone() -> None:
    instant = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert learner_today(instant) == learner_today(instant, tz=tz.tzlocal())
    assert day_start(date(2026, 7, 1)) == day_start(date(2026, 7, 1), tz=tz.tzlocal())


def test_a_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        learner_today(datetime(2026, 1, 10, 12, 0), tz=BERLIN)


@pytest.mark.parametrize("hour", [-1, 24, 25, True, 4.0])
def test_the_rollover_hour_must_be_an_hour_of_the_day(hour: object) -> None:
    instant = datetime(2026, 1, 10, 12, tzinfo=UTC)
    with pytest.raises(ValueError, match="rollover"):
        learner_today(instant, hour, BERLIN)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rollover"):
        day_start(date(2026, 1, 10), hour, BERLIN)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rollover"):
        day_bounds(date(2026, 1, 10), hour, BERLIN)  # type: ignore[arg-type]


# --- day boundaries ----------------------------------------------------------------------------------------


def test_day_start_is_the_rollover_hour_in_utc() -> None:
    start = day_start(date(2026, 1, 10), 4, BERLIN)
    assert start == datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert start.tzinfo is UTC


def test_an_ordinary_day_is_24_hours() -> None:
    start, end = day_bounds(date(2026, 6, 10), 4, BERLIN)
    assert end - start == 24 * HOURS


@pytest.mark.parametrize(
    ("zone_", "learner_day", "hours"),
    [
        # With the 4 a.m. rollover, the learner day that contains the 2-3 a.m. change is Saturday's.
        (BERLIN, date(2026, 3, 28), 23),
        (BERLIN, date(2026, 10, 24), 25),
        (NEW_YORK, date(2026, 3, 7), 23),
        (NEW_YORK, date(2026, 10, 31), 25),
    ],
)
def test_a_dst_weekend_has_a_23_or_25_hour_learner_day(zone_: tzinfo, learner_day: date, hours: int) -> None:
    start, end = day_bounds(learner_day, 4, zone_)
    assert end - start == hours * HOURS
    following_start, following_end = day_bounds(add_days(learner_day, 1), 4, zone_)
    assert following_start == end
    assert following_end - following_start == 24 * HOURS


@pytest.mark.parametrize(
    ("calendar_day", "hours"), [(date(2026, 3, 29), 23), (date(2026, 10, 25), 25), (date(2026, 3, 28), 24)]
)
def test_with_a_midnight_rollover_the_calendar_sunday_is_the_short_or_long_day(
    calendar_day: date, hours: int
) -> None:
    start, end = day_bounds(calendar_day, 0, BERLIN)
    assert end - start == hours * HOURS


def test_a_rollover_hour_skipped_by_dst_starts_the_day_when_the_clock_resumes() -> None:
    # New York, 2026-03-08: 02:00 EST jumps to 03:00 EDT, so there is no 02:00 that day.
    start = day_start(date(2026, 3, 8), 2, NEW_YORK)
    assert start == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert learner_today(start, 2, NEW_YORK) == date(2026, 3, 8)
    assert learner_today(start - timedelta(microseconds=1), 2, NEW_YORK) == date(2026, 3, 7)


def test_a_rollover_hour_repeated_by_dst_starts_the_day_at_its_first_occurrence() -> None:
    # New York, 2026-11-01: 02:00 EDT falls back to 01:00 EST, so 01:00 happens twice.
    start = day_start(date(2026, 11, 1), 1, NEW_YORK)
    assert start == datetime(2026, 11, 1, 5, 0, tzinfo=UTC)  # 01:00 EDT
    second_one_oclock = local(NEW_YORK, 2026, 11, 1, 1, 0, fold=1)
    assert learner_today(second_one_oclock, 1, NEW_YORK) == date(2026, 11, 1)
    _, previous_end = day_bounds(date(2026, 10, 31), 1, NEW_YORK)
    assert previous_end == start


# --- a 1-day interval across a DST weekend -----------------------------------------------------------------

DST_WEEKENDS = [
    pytest.param(BERLIN, date(2026, 3, 28), id="Berlin spring"),
    pytest.param(BERLIN, date(2026, 10, 24), id="Berlin autumn"),
    pytest.param(NEW_YORK, date(2026, 3, 7), id="New York spring"),
    pytest.param(NEW_YORK, date(2026, 10, 31), id="New York autumn"),
]


@pytest.mark.parametrize(("zone_", "saturday"), DST_WEEKENDS)
def test_a_saturday_night_review_with_interval_1_is_due_on_sundays_learner_day(
    zone_: tzinfo, saturday: date
) -> None:
    sunday = add_days(saturday, 1)
    reviewed_at = local(zone_, saturday.year, saturday.month, saturday.day, 23, 30)
    due = add_days(learner_today(reviewed_at, 4, zone_), 1)
    assert due == sunday
    sunday_0359 = local(zone_, sunday.year, sunday.month, sunday.day, 3, 59)
    sunday_0400 = local(zone_, sunday.year, sunday.month, sunday.day, 4, 0)
    assert learner_today(sunday_0359, 4, zone_) < due
    assert learner_today(sunday_0400, 4, zone_) == due
    assert day_start(due, 4, zone_) == sunday_0400.astimezone(UTC)


@pytest.mark.parametrize(("zone_", "saturday"), DST_WEEKENDS)
def test_a_review_at_half_past_three_on_sunday_counts_for_saturday(zone_: tzinfo, saturday: date) -> None:
    sunday = add_days(saturday, 1)
    reviewed_at = local(zone_, sunday.year, sunday.month, sunday.day, 3, 30)
    assert learner_today(reviewed_at, 4, zone_) == saturday
    # So an interval of 1 from that review is due half an hour later, when Sunday's learner day begins.
    due = add_days(learner_today(reviewed_at, 4, zone_), 1)
    assert due == sunday
    assert day_start(due, 4, zone_) - reviewed_at.astimezone(UTC) == timedelta(minutes=30)


def test_add_days_is_calendar_arithmetic() -> None:
    assert add_days(date(2026, 3, 28), 1) == date(2026, 3, 29)
    assert add_days(date(2026, 2, 28), 1) == date(2026, 3, 1)
    assert add_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert add_days(date(2026, 1, 1), 0) == date(2026, 1, 1)


# --- properties over any instant ---------------------------------------------------------------------------

# Half-hour DST (Lord Howe), changes at midnight (Santiago, Havana), no DST at all (UTC, Kolkata).
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "America/Havana",
    "UTC",
    "Asia/Kolkata",
]


def offset_changes(zone_name: str, first_year: int, last_year: int) -> list[datetime]:
    """Noon UTC of every day on which the zone's UTC offset changes, found by comparing consecutive noons."""
    zone_, noon = zone(zone_name), datetime(first_year, 1, 1, 12, tzinfo=UTC)
    changes = []
    while noon.year <= last_year:
        following = noon + timedelta(days=1)
        if noon.astimezone(zone_).utcoffset() != following.astimezone(zone_).utcoffset():
            changes.append(noon)
        noon = following
    return changes


CHANGES = [(name, noon) for name in ZONES for noon in offset_changes(name, 2024, 2028)]
any_instant = st.tuples(
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)),
)
# Instants within two days of a DST change, where the rollover hour can fall in a gap or a fold.
near_a_change = st.builds(
    lambda change, minutes: (change[0], change[1] + timedelta(minutes=minutes)),
    st.sampled_from(CHANGES),
    st.integers(min_value=-48 * 60, max_value=48 * 60),
)
instants = st.one_of(any_instant, near_a_change)


def test_the_zones_used_below_do_change_their_clocks() -> None:
    assert {name for name, _ in CHANGES} == set(ZONES) - {"UTC", "Asia/Kolkata"}


@given(instants, st.integers(min_value=0, max_value=23))
def test_every_instant_lies_within_the_bounds_of_its_learner_day(
    zoned_instant: tuple[str, datetime], rollover_hour: int
) -> None:
    zone_name, instant = zoned_instant
    zone_ = zone(zone_name)
    day = learner_today(instant, rollover_hour, zone_)
    start, end = day_bounds(day, rollover_hour, zone_)
    assert start <= instant < end
    assert learner_today(start, rollover_hour, zone_) == day
    assert learner_today(end, rollover_hour, zone_) == add_days(day, 1)


@given(instants, st.integers(min_value=0, max_value=23))
def test_an_interval_of_one_day_is_never_zero_or_two_learner_days(
    zoned_instant: tuple[str, datetime], rollover_hour: int
) -> None:
    zone_name, instant = zoned_instant
    zone_ = zone(zone_name)
    today = learner_today(instant, rollover_hour, zone_)
    due = add_days(today, 1)
    _, end_of_today = day_bounds(today, rollover_hour, zone_)
    # Not due at any moment of the review's own learner day, due from the first moment of the next one.
    assert learner_today(end_of_today - timedelta(microseconds=1), rollover_hour, zone_) < due
    assert learner_today(end_of_today, rollover_hour, zone_) == due
    assert (due - today).days == 1
    # However the clock shifts, a learner day lasts between 22 and 26 hours.
    assert 22 * HOURS <= end_of_today - day_start(today, rollover_hour, zone_) <= 26 * HOURS
