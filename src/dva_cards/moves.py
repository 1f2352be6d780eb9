"""Moved definitions: which card an import retires and which draft it adds are one definition moved. Pure.

The rule (docs/rules.md, "Moved definitions"): a retired card and an added draft of the same deck are the same
definition when

* their normalized terms are equal and their answers are similar (`answer_similarity` at least
  `SIMILAR_ANSWER`): the bullet went to another heading or file, its answer maybe touched up; or
* their contexts are equal and their answers are the same words: the term was edited in place.

A match must never be a guess. Each side picks its best candidate only when no other candidate comes within
`CLEAR_MARGIN` of it (a tie is broken only by being the one candidate in the same file), and a pair is made
only when both sides pick each other. Anything else stays what it was: a retirement and an addition.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

# Measured on the bundled deck: two different definitions sharing a term reach 0.74 (two "Redis" lists, the
# DNS server chain); one word changed in a five-word answer gives 0.8, one word added or removed more.
SIMILAR_ANSWER = 0.8
# Candidates closer than this to the best one are as good as the best: the match is left alone.
CLEAR_MARGIN = 0.05

_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Definition:
    """One side of a possible move: a retired card or an added draft."""

    key: str  # opaque to this module: the card id, or the draft's place in the plan
    source: str
    context: str
    term: str  # normalized (identity.normalize_term)
    answer: str  # the back, as markdown


def answer_words(answer: str) -> tuple[str, ...]:
    """What an answer says, without its markup, case or punctuation."""
    return tuple(_WORD.findall(answer.casefold()))


def answer_similarity(first: Sequence[str], second: Sequence[str], at_least: float = 0.0) -> float:
    """0..1: how much of two answers' word sequences is shared (difflib's ratio over words). A pair that
    cannot reach `at_least` may be answered with 0.0 from the cheap upper bounds alone."""
    if first == second:
        return 1.0
    if not first or not second:
        return 0.0
    matcher = SequenceMatcher(None, first, second, autojunk=False)
    if matcher.real_quick_ratio() < at_least or matcher.quick_ratio() < at_least:
        return 0.0
    return matcher.ratio()


def pair_moves(retired: Sequence[Definition], added: Sequence[Definition]) -> list[tuple[str, str]]:
    """The (retired key, added key) pairs that are clearly one definition moved, one to one."""
    if not retired or not added:
        return []
    added_words = [answer_words(each.answer) for each in added]
    by_term: dict[str, list[int]] = {}
    by_place: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for index, (each, words) in enumerate(zip(added, added_words, strict=True)):
        by_term.setdefault(each.term, []).append(index)
        if words:  # an answer with no words cannot say it is the same answer
            by_place.setdefault((each.context, words), []).append(index)
    # edges[(r, a)] = score, for every candidate pair
    edges: dict[tuple[int, int], float] = {}
    for r_index, card in enumerate(retired):
        words = answer_words(card.answer)
        for a_index in by_term.get(card.term, ()):
            score = _similar_enough(words, added_words[a_index], card.answer, added[a_index].answer)
            if score is not None:
                edges[(r_index, a_index)] = score
        for a_index in by_place.get((card.context, words), ()) if words else ():
            edges.setdefault((r_index, a_index), 1.0)
    retired_options: dict[int, list[tuple[int, float]]] = {}
    added_options: dict[int, list[tuple[int, float]]] = {}
    for (r_index, a_index), score in edges.items():
        retired_options.setdefault(r_index, []).append((a_index, score))
        added_options.setdefault(a_index, []).append((r_index, score))
    pairs = []
    for r_index, options in retired_options.items():
        choice = _clear_choice(retired[r_index].source, options, added)
        if (
            choice is not None
            and _clear_choice(added[choice].source, added_options[choice], retired) == r_index
        ):
            pairs.append((retired[r_index].key, added[choice].key))
    return pairs


def _similar_enough(
    first: tuple[str, ...], second: tuple[str, ...], first_text: str, second_text: str
) -> float | None:
    if not first and not second:  # nothing but markup: only the very same text is the same answer
        return 1.0 if first_text.strip() == second_text.strip() else None
    score = answer_similarity(first, second, at_least=SIMILAR_ANSWER)
    return score if score >= SIMILAR_ANSWER else None


def _clear_choice(source: str, options: list[tuple[int, float]], others: Sequence[Definition]) -> int | None:
    """The one option clearly better than every other, or None when two are as good."""
    best = max(score for _, score in options)
    contenders = [index for index, score in options if score >= best - CLEAR_MARGIN]
    if len(contenders) == 1:
        return contenders[0]
    same_file = [index for index in contenders if others[index].source == source]
    return same_file[0] if len(same_file) == 1 else None
