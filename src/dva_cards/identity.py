"""Card identity and content fingerprints. Pure.

A card's id depends on where its term sits in the notes, never on its answer (docs/rules.md): editing a definition and
re-importing updates the card in place and keeps its schedule.
"""

from __future__ import annotations

import hashlib
import unicodedata

CONTEXT_SEPARATOR = " › "
_FIELD_SEPARATOR = "\x1f"  # cannot occur in a term or heading, so fields never run into each other


def normalize_term(term: str) -> str:
    """The identity form of a term: casefolded, whitespace collapsed."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", term).casefold())
    return " ".join(folded.split())


# A `›` inside a part is stored as `\›`, so every ` › ` of a stored context is a separator: `# A › B` and
# `# A` / `## B` are two contexts, never one (docs/rules.md, "Card identity").
_SEPARATOR_MARK = CONTEXT_SEPARATOR.strip()
_ESCAPED_MARK = "\\" + _SEPARATOR_MARK


def join_context(context: tuple[str, ...]) -> str:
    """The stored form of a context: its parts, each `›` in them escaped, joined by the separator."""
    joined = CONTEXT_SEPARATOR.join(context)
    if joined.count(_SEPARATOR_MARK) < len(context):  # only the separators' own: no part needs escaping
        return joined
    return CONTEXT_SEPARATOR.join(part.replace(_SEPARATOR_MARK, _ESCAPED_MARK) for part in context)


def with_title(context: tuple[str, ...], title: str | None) -> tuple[str, ...]:
    """A draft's context in a file whose title leads its cards' contexts (`title`, None in other files):
    the title first, unless the context already starts with it (a file whose top heading holds everything
    reads the same)."""
    if title is None or context[:1] == (title,):
        return context
    return (title, *context)


def context_parts(context: str) -> tuple[str, ...]:
    """The heading path and ancestor terms a stored context was joined from (`join_context` undone)."""
    pieces = (piece.strip() for piece in context.split(CONTEXT_SEPARATOR))
    return tuple(piece.replace(_ESCAPED_MARK, _SEPARATOR_MARK) for piece in pieces if piece)


def card_id(deck: str, context: tuple[str, ...], normalized_term: str, occurrence: int) -> str:
    """16 hex digits (64 bits): collisions are out of reach for any collection a person can study."""
    key = _FIELD_SEPARATOR.join((deck, *context, "", normalized_term, str(occurrence)))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


def content_hash(front: str, back: str) -> str:
    key = _FIELD_SEPARATOR.join((front, back))
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).hexdigest()


def file_hash(data: bytes, extractor_version: str) -> str:
    """Fingerprint of a notes file as read; the extractor version makes an upgrade re-read every file."""
    digest = hashlib.blake2b(data, digest_size=16)
    digest.update(extractor_version.encode("ascii"))
    return digest.hexdigest()
