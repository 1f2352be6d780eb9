"""The learner's "today": a local date whose day begins at a rollover hour rather than at midnight.

A session that runs past midnight still counts for the evening it started in. Due dates are plain dates and
intervals are whole days of date arithmetic, so a DST change (a 23- or 25-hour day) can never turn a 1-day
interval into 0 or 2 days; only the instants that bound a learner's day move with the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

DEFAULT_ROLLOVER_HOUR = 4  # the learner's day begins at 4:00 local time


def learner_today(
    now: datetime, rollover_hour: int = DEFAULT_ROLLOVER_HOUR, tz: tzinfo | None = None
) -> date:
    """The learner's day at the instant ``now``: the local date, minus one before the rollover hour.

    ``now`` must be timezone-aware; ``tz=None`` means the system's local zone.
    """
    _check_rollover_hour(rollover_hour)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    # Without a zone, the standard library's local time (the same rules as dateutil's tzlocal).
    try:
        local = now.astimezone() if tz is None else now.astimezone(tz)
    except (ValueError, OverflowError) as error:
        raise _unusable_zone(error) from None
    if local.hour < rollover_hour:
        return local.date() - timedelta(days=1)
    return local.date()


def day_start(day: date, rollover_hour: int = DEFAULT_ROLLOVER_HOUR, tz: tzinfo | None = None) -> datetime:
    """The first instant (in UTC) of the learner's ``day``: the rollover hour on that local date.

    If DST skips the rollover hour, the day begins when the clock resumes after the gap. If the hour happens
    twice, the day begins at its first occurrence, which is when ``learner_today`` first reports ``day``.
    """
    _check_rollover_hour(rollover_hour)
    wall = datetime(day.year, day.month, day.day, rollover_hour, tzinfo=_zone(tz))
    try:
        return _first_real_instant(wall).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise _unusable_zone(error) from None


def _unusable_zone(error: Exception) -> Exception:
    """A local zone Python cannot use (`TZ=UTC+99`: an offset beyond 24 hours) as one clear message."""
    import os

    from .errors import UserError

    setting = os.environ.get("TZ")
    where = f"TZ={setting!r}" if setting is not None else "the system time zone"
    reason = "its offset from UTC must be under 24 hours" if "offset" in str(error) else str(error)
    return UserError(f"{where} cannot be used ({reason}); set TZ to a real zone such as Europe/Paris or UTC")


def day_bounds(
    day: date, rollover_hour: int = DEFAULT_ROLLOVER_HOUR, tz: tzinfo | None = None
) -> tuple[datetime, datetime]:
    """The learner's ``day`` as a half-open UTC interval [start, end).

    Usually 24 hours long; 23 or 25 when a DST change falls inside it.
    """
    return day_start(day, rollover_hour, tz), day_start(add_days(day, 1), rollover_hour, tz)


def add_days(day: date, n: int) -> date:
    """The date ``n`` days after ``day``: calendar arithmetic, untouched by DST."""
    return day + timedelta(days=n)


def _first_real_instant(wall: datetime) -> datetime:
    # dateutil is imported only where a day's bounds are computed: `stats` and `review` start without it.
    from dateutil import tz as dateutil_tz

    # A wall time inside a spring-forward gap never happens; dateutil moves it forward by the gap's length.
    wall = dateutil_tz.resolve_imaginary(wall)
    # A wall time inside a fall-back fold happens twice; fold=0 picks the earlier occurrence.
    if dateutil_tz.datetime_ambiguous(wall):
        wall = dateutil_tz.enfold(wall, fold=0)
    return wall


def _zone(tz: tzinfo | None) -> tzinfo:
    from dateutil import tz as dateutil_tz

    return dateutil_tz.tzlocal() if tz is None else tz


def _check_rollover_hour(rollover_hour: int) -> None:
    if isinstance(rollover_hour, bool) or not isinstance(rollover_hour, int) or not 0 <= rollover_hour <= 23:
        raise ValueError(f"rollover hour must be an integer from 0 to 23, not {rollover_hour!r}")
