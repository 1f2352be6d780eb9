"""Contexts stored with each `›` inside a part escaped, so no heading text can read as the separator.

Before, `# A › B` and `# A` / `## B` were both stored as `A › B`, and an import matched a file's cards by that
text: reordering such headings swapped two cards' histories. A card's id was always computed from its parts,
so the id tells which parts a stored context was joined from: the upgrade finds the split of each context
whose id is the card's own and stores it escaped. Ids, schedules and reviews are not touched; a context whose
split cannot be told (no `›` inside a part, or an id from before a swap) stays as it is.

The hashing and term normalisation below are frozen copies of what made the ids, so the upgrade means the same
whatever later versions change.

Revision ID: 0005
Revises: 0004
"""

import hashlib
import itertools
import unicodedata
from collections.abc import Iterator

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SEPARATOR = " › "
MARK = "›"
ESCAPED = "\\" + MARK
MAX_OCCURRENCE = 64  # the same term this many times in one context is not a real note
MAX_SPLIT_PIECES = 12  # 2^11 splits to try at most for one card


def _normalize_term(term: str) -> str:
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", term).casefold())
    return " ".join(folded.split())


def _card_id(deck: str, parts: tuple[str, ...], term: str, occurrence: int) -> str:
    key = "\x1f".join((deck, *parts, "", term, str(occurrence)))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def _splits(pieces: list[str]) -> Iterator[tuple[str, ...]]:
    """Every way to group consecutive pieces back into parts; one part per piece first (the usual case)."""
    yield tuple(pieces)
    if len(pieces) > MAX_SPLIT_PIECES:
        return
    gaps = len(pieces) - 1
    for joins in itertools.product((False, True), repeat=gaps):
        if not any(joins):
            continue
        parts = [pieces[0]]
        for piece, join in zip(pieces[1:], joins, strict=True):
            if join:
                parts[-1] += SEPARATOR + piece
            else:
                parts.append(piece)
        yield tuple(parts)


def _parts_of(card_id: str, deck: str, context: str, front: str) -> tuple[str, ...] | None:
    term = _normalize_term(front)
    for parts in _splits(context.split(SEPARATOR)):
        for occurrence in range(MAX_OCCURRENCE):
            if _card_id(deck, parts, term, occurrence) == card_id:
                return parts
    return None


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.exec_driver_sql(
        "SELECT c.id, d.name, c.context, c.front FROM card c JOIN deck d ON d.id = c.deck_id "
        f"WHERE instr(c.context, '{MARK}') > 0"
    ).fetchall()
    for card_id, deck, context, front in rows:
        parts = _parts_of(card_id, deck, context, front)
        if parts is None:
            continue
        stored = SEPARATOR.join(part.replace(MARK, ESCAPED) for part in parts)
        if stored != context:
            bind.exec_driver_sql("UPDATE card SET context = ? WHERE id = ?", (stored, card_id))


def downgrade() -> None:
    bind = op.get_bind()
    bind.exec_driver_sql(f"UPDATE card SET context = replace(context, '{ESCAPED}', '{MARK}')")
