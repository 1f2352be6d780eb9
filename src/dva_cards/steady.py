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

The drafts of steady sections are never even built: a section is found steady from where it starts, the
lines of its drafts and their contexts; only a section sharing a context with the touched keys has its
drafts looked at. The drafts to reconcile have their occurrences counted among themselves
(`sections.LaidOut.drafts`), which is the count over the whole file: no steady section holds one of
their keys.

In a file whose cards carry its title in their context (a file of a directory deck), a section keeps its
cards only when every section up to the one that gives the title is steady too: the title is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .extract import CardDraft
from .identity import join_context, normalize_term, with_title
from .sections import Layout, LineRange, SectionResult

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


def lines_agree(steady: Sequence[tuple[int, SectionResult]], card_lines: Iterable[int]) -> bool:
    """Whether the file's live cards in the steady sections (each with its first line, 0-based) stand on
    exactly their drafts' lines, as the last import left them (anything else changed them since: every
    section is then reconciled). Read from the sections' lines alone: their drafts are not needed."""
    lines = [start + line for start, result in steady for line in result.cards.lines]
    return sorted(lines) == sorted(card_lines)


def untouched_ranges(
    steady: Sequence[tuple[int, SectionResult]],
    reconciled: Sequence[CardDraft],
    file_cards: Iterable[Key],
    title: str | None,
) -> list[LineRange]:
    """The line ranges of the `steady` sections (each with its first line, 0-based) but those holding a draft
    whose key a draft to reconcile or a card of the file outside the steady sections (`file_cards`) also has.
    `title`: the title leading the file's contexts (`identity.with_title`), if it is a titled file.

    Only a section with a context among the touched keys' has its drafts looked at (and so decoded): an edit
    touches the few sections that share its headings."""
    touched = {draft_key(draft) for draft in reconciled}
    touched.update(file_cards)
    contexts = {context for context, _ in touched}
    joined: dict[tuple[str, ...], str] = {}  # sections share a few contexts each: each is joined once

    def stored(context: tuple[str, ...]) -> str:
        found = joined.get(context)
        if found is None:
            found = joined[context] = join_context(with_title(context, title))
        return found

    untouched = []
    for start, result in steady:
        cards = result.cards
        if any(stored(context) in contexts for context in cards.contexts) and any(
            (stored(draft.context), normalize_term(draft.front)) in touched for draft in cards
        ):
            continue
        untouched.append((start + 1, start + result.line_count))
    return untouched


def merged(ranges: Sequence[LineRange]) -> list[LineRange]:
    """The same lines as `ranges` (sorted, disjoint), adjacent ranges joined: what the store looks up."""
    joined: list[LineRange] = []
    for first, last in ranges:
        if joined and joined[-1][1] + 1 >= first:
            joined[-1] = (joined[-1][0], max(joined[-1][1], last))
        else:
            joined.append((first, last))
    return joined
