"""Which cards of an edited notes file stay exactly as they are, so that an import reconciles only the rest.
Pure.

A section (sections.py) that starts on the same line with the same text as at the file's last import yields
the same drafts on the same lines as then, and the file's live cards on those lines are the cards those
drafts claimed then: nothing about them changes. Such a section is steady, and its cards are neither read
nor written, with one exception. Reconciliation matches a file's drafts to its own cards by context and
term, in line order (reconcile.py), so a draft elsewhere could claim a steady section's card: a section is
steady only if none of its (context, term) keys is touched, i.e. also held by a draft outside the steady
sections or by a card of the file outside them (a retired one too). Then every draft and card with one of
its keys lies in steady sections, where they pair line for line as they did, and the whole import makes
exactly the writes a full reconciliation would.

In a file whose cards carry its title in their context (a file of a directory deck), a section keeps its
cards only when every section up to the one that gives the title is steady too: the title is unchanged.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise

from .extract import CardDraft
from .identity import join_context, normalize_term
from .sections import Layout, SectionResult

# The first and last line (1-based, inclusive) of a steady section, as a draft's `line` counts them.
LineRange = tuple[int, int]
Key = tuple[str, str]  # a stored context and a normalized term: what a file's own cards are matched by


def key_of(context: str, front: str) -> Key:
    return context, normalize_term(front)


def draft_key(draft: CardDraft) -> Key:
    return key_of(join_context(draft.context), draft.front)


def steady_ranges(
    previous: Layout, layout: Layout, results: Mapping[str, SectionResult], *, titled: bool
) -> list[LineRange]:
    """Line ranges, in order, of the sections that start where a section with the same text started at the
    file's last import (`previous`), before any key is looked at."""
    before = {(start, digest) for digest, starts in previous.items() for start in starts}
    placed = sorted((start, digest) for digest, starts in layout.items() for start in starts)
    if titled:
        for start, digest in placed:
            if (start, digest) not in before:
                return []  # the title may have changed, and with it every context
            if results[digest].title is not None:
                break
    return [
        (start + 1, start + results[digest].line_count)
        for start, digest in placed
        if (start, digest) in before
    ]


def split_drafts(
    drafts: Sequence[CardDraft], ranges: Sequence[LineRange]
) -> tuple[list[CardDraft], list[CardDraft]]:
    """(drafts to reconcile, drafts of steady sections), each in file order."""
    lines = [draft.line for draft in drafts]
    if any(after < before for before, after in pairwise(lines)):  # not in line order: one by one
        reconciled: list[CardDraft] = []
        steady: list[CardDraft] = []
        for draft in drafts:
            (steady if _range_of(draft.line, ranges) is not None else reconciled).append(draft)
        return reconciled, steady
    # In line order (as extraction gives them): each range is one slice, found by bisection, so a large file
    # with a few changed sections is split in a few slices instead of a lookup per draft.
    reconciled, steady = [], []
    done = 0
    for first, last in ranges:
        begin, end = bisect_left(lines, first, done), bisect_right(lines, last, done)
        reconciled.extend(drafts[done:begin])
        steady.extend(drafts[begin:end])
        done = end
    reconciled.extend(drafts[done:])
    return reconciled, steady


def lines_agree(steady: Sequence[CardDraft], card_lines: Iterable[int]) -> bool:
    """Whether the file's live cards in the steady sections stand on exactly the steady drafts' lines, as the
    last import left them (anything else changed them since: every section is then reconciled)."""
    return sorted(draft.line for draft in steady) == sorted(card_lines)


def untouched_ranges(
    ranges: Sequence[LineRange],
    steady: Sequence[CardDraft],
    reconciled: Sequence[CardDraft],
    file_cards: Iterable[Key],
) -> list[LineRange]:
    """`ranges` without those holding a draft whose key a draft to reconcile or a card of the file outside
    the steady sections (`file_cards`) also has."""
    touched = {draft_key(draft) for draft in reconciled}
    touched.update(file_cards)
    contexts = {context for context, _ in touched}
    # Steady drafts share a few contexts each: each is joined once, and only drafts in a touched context
    # have their term normalized.
    joined: dict[tuple[str, ...], str] = {}
    dropped = set()
    for draft in steady:
        context = joined.get(draft.context)
        if context is None:
            context = joined[draft.context] = join_context(draft.context)
        if context in contexts and (context, normalize_term(draft.front)) in touched:
            dropped.add(_range_of(draft.line, ranges))
    return [each for index, each in enumerate(ranges) if index not in dropped]


def merged(ranges: Sequence[LineRange]) -> list[LineRange]:
    """The same lines as `ranges` (sorted, disjoint), adjacent ranges joined: what the store looks up."""
    joined: list[LineRange] = []
    for first, last in ranges:
        if joined and joined[-1][1] + 1 >= first:
            joined[-1] = (joined[-1][0], max(joined[-1][1], last))
        else:
            joined.append((first, last))
    return joined


def _range_of(line: int, ranges: Sequence[LineRange]) -> int | None:
    """The index of the range (sorted, disjoint) holding `line`, if any."""
    index = bisect_right(ranges, (line, float("inf"))) - 1
    if index >= 0 and ranges[index][0] <= line <= ranges[index][1]:
        return index
    return None
