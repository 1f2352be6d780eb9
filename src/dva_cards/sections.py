"""A notes file as sections that open with a top-level heading, each extracted on its own. Pure.

A top-level heading (`# Title` at the start of a line) empties the heading path and ends every list, quote,
paragraph and table, so what a section yields depends on its own text only, with two exceptions: which
occurrence of a term in a context a card is (counted over the whole file), and link reference definitions
(usable anywhere in a file). So a section's result is kept under the hash of its text, with lines and
occurrences counted from the section's own start. Re-extracting an edited file parses only the sections
whose hash is new, then numbers lines and occurrences over the whole file: the same drafts as `extract` of
the whole text. From a section whose fenced code or HTML block runs on past its end (markdown would let it
swallow the next heading), the rest of the file is extracted in one piece.

A file is extracted whole, all sections parsed as one, whenever something in it reaches across sections:
link reference definitions; front matter or a writer's `dva-cards:` marker (`off` holds until `on`); and
bold as the plain style. `extract` decides that last per piece it parses (the whole of a file up to about
4,000 lines): when the pieces cannot have it (fewer bold list items in the whole file than it takes), or the
file is one piece and every section decided as the file does, the sections add up to the file; otherwise
the file is extracted whole.

Extraction section by section is a plan (`plan_sections`: the sections and their hashes), the parse of the
sections without a known result (`parse_section` each; a caller may parse them all at once, on several
cores), and an assembly (`assemble_sections`), which also decides whether the file must be extracted whole;
`lay_out` does all three. Its result (`LaidOut`) puts the drafts together only when asked, and may leave
some sections' drafts out.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate
from typing import Any, NamedTuple

from .extract import (
    BOLD_EVERYWHERE_LEAST,
    CardDraft,
    Extraction,
    Skipped,
    extract,
    extract_part,
    has_file_wide_state,
    is_bold_everywhere,
    normalize_source,
    parsed_in_one_piece,
    piece_ends,
)
from .identity import normalize_term

# `# Title`, or a lone `#`, at the very start of a line.
_TOP_HEADING = re.compile(r"#(?:[ \t]|\Z)")
# A line that may open or close a fenced code block, at any indentation (inside list items too).
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,})(.*)")


class SectionCards:
    """A section's drafts, with their lines and their distinct contexts at hand.

    Read back from a stored record, the drafts stay encoded until first used: at the re-import of an edited
    file, most sections stay where they were, and all that is asked of them is where their cards stand and
    in which contexts (see steady.py). Compares, hashes and pickles as its drafts."""

    __slots__ = ("_drafts", "_encoded", "lines", "contexts")

    def __init__(
        self,
        drafts: tuple[CardDraft, ...] | None,
        lines: tuple[int, ...],
        contexts: tuple[tuple[str, ...], ...],
        encoded: bytes | None = None,
    ) -> None:
        self._drafts = drafts
        self._encoded = encoded  # marshal of the drafts' fields, while not decoded
        self.lines = lines  # each draft's line, in order
        self.contexts = contexts  # each distinct context, in the order they first come

    @classmethod
    def of(cls, drafts: Iterable[CardDraft]) -> SectionCards:
        held = tuple(drafts)
        return cls(held, tuple(draft.line for draft in held), tuple(dict.fromkeys(d.context for d in held)))

    @property
    def drafts(self) -> tuple[CardDraft, ...]:
        if self._drafts is None:
            assert self._encoded is not None
            self._drafts = tuple(map(CardDraft._make, marshal.loads(self._encoded)))
            self._encoded = None
        return self._drafts

    def encoded(self) -> bytes:
        if self._encoded is not None:
            return self._encoded
        return marshal.dumps(tuple(map(tuple, self.drafts)))

    def __iter__(self) -> Iterator[CardDraft]:
        return iter(self.drafts)

    def __len__(self) -> int:
        return len(self.lines)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SectionCards):
            return self.drafts == other.drafts
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.drafts)

    def __repr__(self) -> str:
        return f"SectionCards({self.drafts!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return SectionCards, (self.drafts, self.lines, self.contexts)


class SectionResult(NamedTuple):
    """What one section yields, its lines counted from 1 at its first line, occurrences within it alone. A
    named tuple: a re-import reads back every section of a large file, thousands, and a tuple is built
    several times faster than a frozen dataclass."""

    line_count: int
    cards: SectionCards
    skipped: tuple[Skipped, ...]
    references: bool  # it defines link references, which other sections may use
    open_end: bool  # a fenced code or HTML block runs to its end: markdown would carry it on
    list_items: int
    bold_items: int  # list items opening in bold
    bold_is_plain: bool  # read (in some piece) with bold as the plain style
    title: str | None = None  # its first heading's text: the file's title if no section before has one
    # Lines (from its first) of its list items, of those opening in bold, and its fenced code and HTML blocks
    # (first line, line after): what tells whether it agrees with a file parsed in several pieces. None for
    # results kept before these were recorded.
    item_lines: tuple[int, ...] | None = None
    bold_item_lines: tuple[int, ...] = ()
    raw_blocks: tuple[tuple[int, int], ...] = ()


def split_sections(lines: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges that together cover `lines`, each after the first opening with a top-level
    heading outside what looks like fenced code.

    Notes often hold shell snippets whose `# comment` lines would otherwise look like headings. Fences are
    tracked loosely (any indentation): a heading wrongly passed over only makes a section longer, and a
    boundary wrongly taken is caught when its section is parsed (see `extract_sections`).
    """
    ranges = []
    start = 0
    while True:
        end = _section_end(lines, start)
        ranges.append((start, end))
        if end >= len(lines):
            return ranges
        start = end


def _section_end(lines: Sequence[str], start: int) -> int:
    """Where the section opening at `start` (outside any fence, as every section does) ends: the next top-level
    heading outside what looks like fenced code, else the end of `lines`."""
    fence = ""  # the opening fence while inside one
    for index in range(start, len(lines)):
        line = lines[index]
        opener = _FENCE.match(line) if "```" in line or "~~~" in line else None
        if fence:
            closing = opener is not None and not opener.group(2).strip()
            if (
                closing
                and opener is not None
                and opener.group(1)[0] == fence[0]
                and len(opener.group(1)) >= len(fence)
            ):
                fence = ""
        elif opener is not None and not (opener.group(1)[0] == "`" and "`" in opener.group(2)):
            fence = opener.group(1)
        elif index > start and line[:1] == "#" and _TOP_HEADING.match(line):
            return index
    return len(lines)


def section_hash(text: str, version: str) -> str:
    return hashlib.blake2b(f"{version}\x00{text}".encode(), digest_size=16).hexdigest()


# Where a file's sections stand: each section's hash -> the lines (0-based, ascending) where a section with
# that text starts. Kept with the sections' results, so the next import can tell which sections stayed put.
Layout = dict[str, tuple[int, ...]]


def extract_sections(
    text: str, known: Mapping[str, SectionResult], version: str
) -> tuple[Extraction, dict[str, SectionResult]]:
    """The drafts of `text` (equal to `extract(text)`), reusing `known` results by section hash.

    Returns the extraction and the result of every section it is made of, by hash, to keep for next time.
    """
    laid = lay_out(text, known, version)
    return laid.extraction(), laid.sections


# Parses sections' texts, each as `parse_section` does, the results in the order of the texts.
PartsParser = Callable[[Sequence[str]], Sequence[SectionResult]]

# The first and last line (1-based, inclusive) of a section, as a draft's `line` counts them.
LineRange = tuple[int, int]


@dataclass(frozen=True)
class LaidOut:
    """A file's extraction, equal to `extract` of its text: either extracted whole, or its sections' results
    and where each starts, put together when asked. A caller may ask for the drafts of some sections only."""

    sections: dict[str, SectionResult]  # by hash, to keep for the file's next import (empty when whole)
    layout: Layout  # where each starts (empty when whole)
    whole: Extraction | None = None  # the file extracted whole

    @cached_property
    def placed(self) -> list[tuple[int, SectionResult]]:
        """Each section's first line (0-based) and result, in file order."""
        starts = sorted((start, digest) for digest, starts in self.layout.items() for start in starts)
        return [(start, self.sections[digest]) for start, digest in starts]

    @property
    def title(self) -> str | None:
        if self.whole is not None:
            return self.whole.title
        return next((result.title for _, result in self.placed if result.title is not None), None)

    def extraction(self) -> Extraction:
        if self.whole is not None:
            return self.whole
        return Extraction(self.drafts(), self.skipped(), self.title)

    def drafts(self, leave_out: Collection[LineRange] = ()) -> tuple[CardDraft, ...]:
        """The file's drafts, but for those of the sections spanning exactly one of the `leave_out` ranges,
        the others' occurrences counted among themselves (see `_assemble`)."""
        if self.whole is not None:
            assert not leave_out, "a file extracted whole has no sections to leave out"
            return self.whole.cards
        return _assemble(self.placed, leave_out)

    def skipped(self) -> tuple[Skipped, ...]:
        if self.whole is not None:
            return self.whole.skipped
        return tuple(
            Skipped(item.line + start, item.reason, item.text)
            for start, result in self.placed
            for item in result.skipped
        )

    def within(self, ranges: Collection[LineRange]) -> list[tuple[int, SectionResult]]:
        """The sections spanning exactly one of `ranges`, in file order."""
        wanted = set(ranges)
        return [each for each in self.placed if _span(*each) in wanted]


def lay_out(
    text: str,
    known: Mapping[str, SectionResult],
    version: str,
    parse_parts: PartsParser | None = None,
    previous: Layout | None = None,
) -> LaidOut:
    """The file's sections' results, reusing `known` ones by section hash, or the file extracted whole.

    `parse_parts`, when given, parses the sections not in `known` ahead of the assembly, all at once (on
    several cores, say); without it each is parsed when the assembly reaches it. Either way the result is
    the same: `parse_section` is pure. `previous`: where the `known` results' sections started at the file's
    last import, which spares scanning the lines of those still there (`plan_sections`)."""
    plan = plan_sections(text, known, version, previous)
    if plan is None:
        return LaidOut({}, {}, extract(text))
    parsed: dict[str, SectionResult] = {}
    if parse_parts is not None:
        wanted = plan.unknown()
        parsed = dict(zip(wanted, parse_parts(list(wanted.values())), strict=True))
    return assemble_sections(text, plan, parsed)


@dataclass(frozen=True)
class Section:
    start: int  # its first line (0-based)
    end: int  # the line after its last
    text: str
    digest: str


@dataclass(frozen=True)
class SectionPlan:
    """A file to extract section by section: its lines, its sections and the results kept from its last
    import that may serve."""

    lines: list[str]
    one_piece: bool  # `extract` parses it in a single piece
    known: Mapping[str, SectionResult]
    sections: tuple[Section, ...]
    version: str  # the extractor's, part of every section's hash

    def unknown(self) -> dict[str, str]:
        """The text of each distinct section without a known result, by hash, in file order. A section that a
        fenced code or HTML block of the one before runs into is among them: that shows only once parsed."""
        return {section.digest: section.text for section in self.sections if section.digest not in self.known}


def plan_sections(
    text: str, known: Mapping[str, SectionResult], version: str, previous: Layout | None = None
) -> SectionPlan | None:
    """The file's sections, or None when it is extracted whole from the start. `previous`, where the known
    results' sections started at the file's last import, spares scanning the lines of those that did not
    change (`_split_known`)."""
    normalized = normalize_source(text)
    lines = normalized.split("\n")
    one_piece = parsed_in_one_piece(lines)
    # Without results from a last import the whole file is parsed here: a file that will likely be parsed
    # whole anyway is not parsed section by section first. With them, only `_pieces_agree` decides.
    if has_file_wide_state(normalized, lines) or (
        not one_piece and not known and _may_have_bold_pieces(lines)
    ):
        return None
    if not one_piece:  # results kept without what tells the pieces' bold apart are of no use here
        known = {digest: result for digest, result in known.items() if result.item_lines is not None}
    sections = _split_known(lines, version, _followed_sections(previous or {}, known))
    return SectionPlan(lines, one_piece, known, tuple(sections), version)


def _followed_sections(previous: Layout, known: Mapping[str, SectionResult]) -> dict[int, tuple[int, str]]:
    """Where a section of the file's last import started -> its line count and hash, for each section that
    another section followed then (so none that reached the end of the file, which a part extracted in one
    piece from a section to the end always does)."""
    spans = [
        (start, known[digest].line_count, digest)
        for digest, starts in previous.items()
        if digest in known
        for start in starts
    ]
    last_end = max((start + count for start, count, _ in spans), default=0)
    return {start: (count, digest) for start, count, digest in spans if start + count < last_end}


def _split_known(lines: list[str], version: str, followed: Mapping[int, tuple[int, str]]) -> list[Section]:
    """The sections of `split_sections`, with their texts and hashes. Where a section of the last import
    (`followed`) started, its lines are not scanned if they hold the same text and a top-level heading still
    follows them: the scan of the same text from the start of a section gives the same state at its end, and
    the heading that followed it then ended it."""
    sections = []
    start = 0
    while True:
        guess = followed.get(start)
        if guess is not None:
            count, digest = guess
            end = start + count
            if end < len(lines) and lines[end][:1] == "#" and _TOP_HEADING.match(lines[end]):
                part = "\n".join(lines[start:end])
                if section_hash(part, version) == digest:
                    sections.append(Section(start, end, part, digest))
                    start = end
                    continue
        end = _section_end(lines, start)
        part = "\n".join(lines[start:end])
        sections.append(Section(start, end, part, section_hash(part, version)))
        if end >= len(lines):
            return sections
        start = end


def assemble_sections(text: str, plan: SectionPlan, parsed: Mapping[str, SectionResult]) -> LaidOut:
    """The file's sections' results (known, `parsed`, else parsed here) and where each starts; the file
    extracted whole when its sections do not add up to it."""
    lines, known = plan.lines, plan.known
    used: dict[str, SectionResult] = {}
    placed: list[tuple[int, SectionResult]] = []
    digests: list[str] = []  # each placed section's hash
    for section in plan.sections:
        start = section.start
        if placed and placed[-1][0] + placed[-1][1].line_count > start:
            continue  # taken in by the part before, whose last block ran on
        digest = section.digest
        result = known.get(digest) or used.get(digest) or parsed.get(digest) or parse_section(section.text)
        if result.open_end and section.end < len(lines):
            # A fenced code or HTML block runs on past the section's end: the rest of the file is one part,
            # as a whole-file parse would see it.
            part = "\n".join(lines[start:])
            digest = section_hash(part, plan.version)
            result = known.get(digest) or parse_section(part)
        used[digest] = result
        placed.append((start, result))
        digests.append(digest)
    results = [result for _, result in placed]
    agrees = _bold_mode_agrees(results) if plan.one_piece else _pieces_agree(lines, placed)
    if any(result.references for result in results) or not agrees:
        return LaidOut({}, {}, extract(text))
    layout: dict[str, list[int]] = {}
    for (start, _), digest in zip(placed, digests, strict=True):
        layout.setdefault(digest, []).append(start)
    return LaidOut(used, {digest: tuple(starts) for digest, starts in layout.items()})


def parse_section(part: str) -> SectionResult:
    """Extract one section (normalized text) on its own."""
    done = extract_part(part)
    return SectionResult(
        part.count("\n") + 1,
        SectionCards.of(done.extraction.cards),
        done.extraction.skipped,
        done.references,
        done.open_end,
        done.list_items,
        done.bold_items,
        done.bold_is_plain,
        done.extraction.title,
        done.item_lines,
        done.bold_item_lines,
        done.raw_blocks,
    )


# A line that may open a list item (in a blockquote too): what `_may_have_bold_pieces` counts.
_ITEM_LIKE = re.compile(r"^[ \t>]*(?:[*+-]|\d{1,9}[.)])(?:[ \t]|$)", re.MULTILINE)
_BOLD_LINE = re.compile(r"(?:\*\*|__)[^\n]*")  # one match per line with bold: from it to the line's end


def _may_have_bold_pieces(lines: list[str]) -> bool:
    """A guess, from the lines alone, whether a piece of a file parsed in several pieces has bold as its
    plain style; such a file is extracted whole at once rather than section by section and then again
    whole. Only a guess: `_pieces_agree` decides."""
    start = 0
    for end in piece_ends(lines, lambda *_: False):
        piece = "\n".join(lines[start:end])
        bold = len(_BOLD_LINE.findall(piece))
        if bold >= BOLD_EVERYWHERE_LEAST and bold >= len(_ITEM_LIKE.findall(piece)) / 2:
            return True
        start = end
    return False


def _pieces_agree(lines: list[str], placed: Sequence[tuple[int, SectionResult]]) -> bool:
    """Whether a file that `extract` parses in several pieces reads bold as its sections did: none of them
    with bold as the plain style, and no piece of the whole-file parse either. The pieces are found as
    `extract` finds them, from where the sections' list items and fenced code or HTML blocks lie."""
    if any(result.item_lines is None or result.bold_is_plain for _, result in placed):
        return False
    raw = [(start + first, start + after) for start, result in placed for first, after in result.raw_blocks]
    raw_starts = [first for first, _ in raw]

    def runs_to_end(start: int, end: int, content_end: int) -> bool:
        begin = bisect_left(raw_starts, start)
        stop = bisect_left(raw_starts, end)
        return any(min(after, end) - start >= content_end for _, after in raw[begin:stop])

    # The items before a line, counted by section (each section's own only where the line falls in it): a
    # large file has hundreds of thousands of list items, and a few dozen pieces.
    starts = [start for start, _ in placed]
    items = list(accumulate((len(result.item_lines or ()) for _, result in placed), initial=0))
    bold = list(accumulate((len(result.bold_item_lines) for _, result in placed), initial=0))

    def before(line: int) -> tuple[int, int]:
        """How many list items, and how many opening in bold, open before `line`."""
        index = bisect_right(starts, line) - 1
        if index < 0:
            return 0, 0
        start, result = placed[index]
        return (
            items[index] + bisect_left(result.item_lines or (), line - start),
            bold[index] + bisect_left(result.bold_item_lines, line - start),
        )

    start = 0
    for end in piece_ends(lines, runs_to_end):
        (items_before, bold_before), (items_to_end, bold_to_end) = before(start), before(end)
        if is_bold_everywhere(items_to_end - items_before, bold_to_end - bold_before):
            return False
        start = end
    return True


def _bold_mode_agrees(results: Sequence[SectionResult]) -> bool:
    """Whether each section was read in the bold mode a whole-file parse (of a file in one piece, or of one
    with too few bold items for any piece to have it) reads it in."""
    bold = sum(result.bold_items for result in results)
    if bold < BOLD_EVERYWHERE_LEAST:
        return True  # no piece of the file, and no section, can have bold as the plain style
    whole = is_bold_everywhere(sum(result.list_items for result in results), bold)
    # bold's mode only changes how list items are read: a section without any agrees with either.
    return all(not result.list_items or result.bold_is_plain == whole for result in results)


def _span(start: int, result: SectionResult) -> LineRange:
    return start + 1, start + result.line_count


def _assemble(
    placed: Sequence[tuple[int, SectionResult]], leave_out: Collection[LineRange] = ()
) -> tuple[CardDraft, ...]:
    """Sections' drafts as one file's: lines moved to where each section starts, occurrences renumbered.

    The drafts of the sections spanning one of `leave_out` are left out, and the others' occurrences are
    counted among themselves: the same as over the whole file for every draft whose (context, term) no
    section left out holds, which is all a caller leaving sections out asks (see steady.py)."""
    cards: list[CardDraft] = []
    seen: dict[tuple[tuple[str, ...], str], int] = {}
    terms: dict[str, str] = {}  # front -> normalized term: the same fronts come back in many sections
    left_out = set(leave_out)
    # Every draft of a large file passes here when it is extracted: the loop body is kept to a few
    # operations (tuples unpacked, drafts built straight from their fields).
    make_draft = CardDraft._make
    for start, result in placed:
        if left_out and _span(start, result) in left_out:
            continue
        for context, front, back, line, _ in result.cards:
            term = terms.get(front)
            if term is None:
                term = terms[front] = normalize_term(front)
            key = (context, term)
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            cards.append(make_draft((context, front, back, line + start, occurrence)))
    return tuple(cards)


# -- storage: a section's result as a record --------------------------------------------------------------

# A stored result is `marshal` of plain tuples after this prefix and marshal's format version: about three
# times faster to read back than JSON, which matters when a large file's thousands of unchanged sections are
# read at every re-import. Its drafts are a record of their own inside it, with a checksum, decoded only when
# used (`SectionCards`); their lines and contexts are read with the rest. A record this Python cannot read is
# as good as none: its section is parsed again.
_RECORD = b"dva-cards section 2\x00"


def result_to_record(result: SectionResult, starts: Sequence[int] = ()) -> bytes:
    """The result, and the lines where sections with its text started at the import that keeps it."""
    cards = result.cards
    drafts = cards.encoded()
    value = (
        result.line_count,
        (cards.lines, cards.contexts, zlib.crc32(drafts), drafts),
        tuple((item.line, item.reason, item.text) for item in result.skipped),
        result.references,
        result.open_end,
        result.list_items,
        result.bold_items,
        result.bold_is_plain,
        result.title,
        tuple(starts),
        result.item_lines,
        result.bold_item_lines,
        result.raw_blocks,
    )
    return _RECORD + bytes([marshal.version]) + marshal.dumps(value)


def result_from_record(record: bytes) -> tuple[SectionResult, tuple[int, ...]] | None:
    """The result and where it started, from `result_to_record`; None if this Python cannot read it."""
    prefix = len(_RECORD)
    if record[:prefix] != _RECORD or len(record) <= prefix or record[prefix] > marshal.version:
        return None
    try:
        value = marshal.loads(record[prefix + 1 :])
        line_count, cards, skipped, references, open_end, list_items, bold_items, bold_is_plain, title = (
            value[:9]
        )
        lines, contexts, checksum, drafts = cards
        if not isinstance(drafts, bytes) or zlib.crc32(drafts) != checksum:
            return None
        result = SectionResult(
            line_count,
            SectionCards(None, lines, contexts, drafts),
            tuple(map(Skipped._make, skipped)),
            references,
            open_end,
            list_items,
            bold_items,
            bold_is_plain,
            title,
            value[10],
            value[11],
            value[12],
        )
        return result, value[9]
    except (EOFError, ValueError, TypeError):
        return None
