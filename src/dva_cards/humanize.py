"""Figures as a person reads them, shared by the review summary and the stats screen."""

from __future__ import annotations


def duration(milliseconds: int) -> str:
    """`0 s`, `1 min 05 s`, `1 h 02 min`: whole units, the smaller one zero-padded."""
    seconds = max(0, milliseconds) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 card`, `2 cards`, `0 cards`: a number and its noun in the right number (`plural` when not noun + s)."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
