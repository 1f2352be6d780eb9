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
