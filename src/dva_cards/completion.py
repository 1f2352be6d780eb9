"""Shell-completion candidates: what the command line offers after `--deck`, `--section`, `config`, card ids.

The candidates are pure functions of values read from the collection. Reading is read-only and best-effort:
completion runs on every Tab press, so it never creates, migrates or locks a collection, never loads SQLAlchemy
or Alembic, and a missing, busy, damaged or foreign file simply offers nothing (a shell has nowhere to show an
error). Candidates are `(value, description)` pairs; shells that show descriptions (zsh, fish) show the second.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from .identity import CONTEXT_SEPARATOR, context_parts

Candidate = tuple[str, str]

# Card ids offered at most for one Tab: enough to pick from, few enough for a shell to list, and a bounded
# query on a big collection. Typing the first digits narrows the offer.
CARD_CANDIDATE_LIMIT = 100
_BUSY_TIMEOUT_S = 0.05  # a writer holding the collection means no candidates, not a stalled shell


# -- candidates from values (pure) ----------------------------------------------------------------------------


def starting_with(values: Iterable[str], incomplete: str) -> list[str]:
    """The values that complete ``incomplete``, each once, in their first order."""
    return list(dict.fromkeys(value for value in values if value.startswith(incomplete)))


def section_candidates(contexts: Iterable[str], incomplete: str) -> list[str]:
    """The sections `--section` may take that complete ``incomplete``, one level deeper at a time.

    Like paths in a file system: nothing typed offers the top-level sections; `EC2` offers `EC2` (and any
    other top-level section starting so) and the sections right under it, `EC2 › EC2 Purchasing Options`;
    typing on goes deeper. A section is each leading part of a card's context (`EC2 › EBS › Snapshots`
    lies in `EC2`, `EC2 › EBS` and itself). Sorted, each once.
    """
    typed = context_parts(incomplete)
    # Parts a candidate may have: as many as typed (the last may be unfinished), one more under a full match.
    depth = max(1, len(typed) + (1 if incomplete.rstrip().endswith(CONTEXT_SEPARATOR.strip()) else 0))
    offered: set[str] = set()
    for context in contexts:
        parts = context_parts(context)
        for end in range(1, min(depth, len(parts)) + 1):
            path = CONTEXT_SEPARATOR.join(parts[:end])
            if path.startswith(incomplete):
                offered.add(path)
                if path == incomplete and end < len(parts):
                    offered.add(CONTEXT_SEPARATOR.join(parts[: end + 1]))
    return sorted(offered)


def setting_candidates(incomplete: str) -> list[Candidate]:
    """Setting names, each with what it does."""
    from .settings import SETTINGS

    return [(key, setting.help) for key, setting in SETTINGS.items() if key.startswith(incomplete)]


def setting_value_candidates(key: str, incomplete: str) -> list[Candidate]:
    """The values a setting takes: each choice of a choice setting; the default of a number, with its range."""
    from .settings import SETTINGS

    setting = SETTINGS.get(key.strip().lower().replace("_", "-"))
    if setting is None:
        return []
    if setting.choices:
        offered = [(choice, "default" if choice == setting.default else "") for choice in setting.choices]
    else:
        offered = [(setting.default, f"default; {_accepted(setting.parse)}")]
    return [(value, help) for value, help in offered if value.startswith(incomplete)]


def _accepted(parse: object) -> str:
    """What a setting accepts, in its own words: the message its parser gives for a value it refuses."""
    assert callable(parse)
    try:
        parse("")
    except ValueError as error:
        return str(error)
    return "any value"  # pragma: no cover - every setting refuses an empty value


def card_candidates(rows: Iterable[tuple[str, str]], exclude: Sequence[str] = ()) -> list[Candidate]:
    """Card ids with their fronts as descriptions (on one line), leaving out the ids already given."""
    given = set(exclude)
    return [(card_id, " ".join(front.split())) for card_id, front in rows if card_id not in given]


# -- reading the collection (read-only, best-effort) -----------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection to an existing collection, or None: completion never creates a file.

    With no -wal beside it the file alone is the whole database, so it is opened immutable: a read-only reader
    of a WAL database would otherwise create the -wal and -shm files next to it.
    """
    try:
        real = path.expanduser().resolve()
        if not real.is_file():
            yield None
            return
        uri = real.as_uri() + "?mode=ro"
        if not any(real.with_name(real.name + suffix).exists() for suffix in ("-wal", "-shm", "-journal")):
            uri += "&immutable=1"
        connection = sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S)
    except (OSError, sqlite3.Error):
        yield None
        return
    with closing(connection):
        yield connection


def _rows(path: Path, sql: str, params: Sequence[object] = ()) -> list[tuple[str, ...]]:
    with read_only(path) as connection:
        if connection is None:
            return []
        try:
            return [tuple(str(value) for value in row) for row in connection.execute(sql, params)]
        except sqlite3.Error:  # busy, damaged, another program's database, an older schema
            return []


def deck_names(path: Path) -> list[str]:
    return [row[0] for row in _rows(path, "SELECT name FROM deck ORDER BY name")]


def contexts(path: Path, deck: str | None = None) -> list[str]:
    """The distinct contexts of the cards of one deck, or of all.

    Read from the (id, context, deck_id) index alone: retired cards are not told apart, since filtering them
    would read every wide card row, several times the cost of the rest of a Tab on a big collection.
    """
    sql = "SELECT DISTINCT context FROM card"
    params: list[object] = []
    if deck is not None:
        # `+deck_id`: no lookup by deck, which would read whole rows; the scan of the covering index stays.
        sql += " WHERE +deck_id = (SELECT id FROM deck WHERE name = ?)"
        params.append(deck)
    return [row[0] for row in _rows(path, sql, params) if row[0]]


def card_rows(
    path: Path, prefix: str, *, suspended: bool, limit: int = CARD_CANDIDATE_LIMIT
) -> list[tuple[str, str]]:
    """(id, front) of cards not retired whose id starts with ``prefix`` and that are (not) suspended.

    The prefix becomes a range on the primary key, so a Tab on a big collection reads `limit` rows, not all.
    """
    sql = "SELECT id, front FROM card WHERE retired_at IS NULL AND suspended = ? AND id >= ?"
    params: list[object] = [1 if suspended else 0, prefix]
    upper = _prefix_upper_bound(prefix)
    if upper is not None:
        sql += " AND id < ?"
        params.append(upper)
    sql += " ORDER BY id LIMIT ?"
    params.append(limit)
    return [(row[0], row[1]) for row in _rows(path, sql, params)]


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (None: no bound, for an empty one)."""
    trimmed = prefix.rstrip(chr(0x10FFFF))
    if not trimmed:
        return None
    return trimmed[:-1] + chr(ord(trimmed[-1]) + 1)
