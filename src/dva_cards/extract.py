"""Markdown notes -> card drafts and the candidates left out, with a reason each. Pure: text in, values out.

The pipeline: markdown-it block tokens -> candidates (every list item, numbered or not, also inside
blockquotes and Obsidian callouts, lazy continuation lines included; every body row of a two-column
term | definition table) -> `definitions.read_item` reads term, separator and answer -> `term_rules`
accepts the reading or gives the reason it is not a definition -> a `CardDraft`, or a `Rejected` record
when the candidate looked like a definition (a separator after a would-be term, a marked term, bold in a
sentence) but is not one. Prose items that never looked like definitions are neither.

A card's front is the term as plain text; its back is the rest of the item's first paragraph, then a blank
line, then every block nested in the item (sub-lists, paragraphs, code), as the writer's own markdown,
dedented. Nested definitions also become cards of their own, with the parent's front in their context.
The context is the heading path, then the fronts of enclosing definition items.

Table rows: a table is a definition table when it has two columns and its header names a term side
(`Term`, `Command`, `Port`...) or a meaning side (`Definition`, `Description`, `Service`...); each body row
is then a card: front = the first cell as plain text, back = the second cell as written.

Writer's markers (exact syntax; matching ignores case and extra spaces):

* a file whose YAML front matter (the first line `---`, closed by `---` or `...`) has the line
  `dva-cards: false` gives no cards at all (`no` and `off` work too);
* a line `<!-- dva-cards: off -->` stops carding from there, `<!-- dva-cards: on -->` resumes it; headings
  in between still count for context;
* a line `<!-- dva-cards: card -->` on its own right before a list item makes that item a card even if
  the rules reject it: its term as read, or else its whole first line, becomes the front (an item with
  nothing to learn stays an empty definition). Right before a table, it makes every body row a card, the
  first column the front and the second the back, whatever the header says. Anything else between the
  marker and the item (a paragraph, a heading) cancels it.

Choices where the notes leave room:

* A bare term with nothing after it and nothing nested (`* *Max Size*`) is an ordinary list item.
* A term glued to the next word (`**S3**'s bucket`) is not a term.
* Only a strong or linked term runs straight into its answer without a separator, and only through a
  defining verb (`**IAM Policies** are...`); other bold openers are stress and are reported as
  `bold inside a sentence`. An emphasised or code word opening a sentence is stress and is not reported.
* Nothing is taken from code blocks, HTML blocks, headings, front matter, or tables of another shape.
  Lists nested deeper than markdown-it's nesting limit are not walked; they still appear in their
  ancestors' backs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from . import term_rules
from .block_parser import block_parser
from .definitions import plain_text, read_cell_term, read_item
from .identity import normalize_term as normalize_term  # lives with the ids it feeds; re-exported

if TYPE_CHECKING:  # type names only: markdown-it is imported by `definitions.parser` when text is parsed
    from markdown_it.token import Token

# Bump when extraction rules change, so every file is read again instead of skipped as unchanged.
EXTRACTOR_VERSION = "3"


class CardDraft(NamedTuple):
    """One definition found in the notes, before it has a deck or an id. A named tuple, not a dataclass: an
    edited re-import of a large file rebuilds every draft of its unchanged sections (lines moved to where each
    section starts), and a tuple is built about four times faster."""

    context: tuple[str, ...]  # heading path, then the terms of ancestor definition items
    front: str  # the term, as plain text (inline markup stripped)
    back: str  # markdown: the rest of the item's inline text, then its whole nested list
    line: int  # 1-based line of the bullet in the source text
    occurrence: int  # 0 for the first card with this normalized front in this context, 1 for the next...


class Rejected(NamedTuple):
    """A list item or table row that looks like a definition but did not become a card, and why. A named
    tuple for the same reason as `CardDraft`."""

    line: int
    reason: str  # one of the reason codes in term_rules, e.g. "label, not a term"
    text: str  # the item's first line as written, trimmed


Skipped = Rejected  # the name the importer and store know it by


@dataclass(frozen=True)
class Extraction:
    cards: tuple[CardDraft, ...]
    skipped: tuple[Rejected, ...]
    # The text of the first heading, if any: the file's title in a deck of files. Not part of what was
    # extracted, so two extractions with the same cards and rejections compare equal.
    title: str | None = field(default=None, compare=False)


EMPTY_DEFINITION = term_rules.EMPTY_DEFINITION
_MARKER = re.compile(r"<!--\s*dva-cards\s*:\s*(off|on|card)\s*-->", re.IGNORECASE)
# The `>` marker of one enclosing blockquote at the start of a line.
_QUOTE_MARKER = re.compile(r"[ \t]*>[ ]?")
_FRONT_MATTER_OFF = re.compile(r"dva-cards\s*:\s*[\"']?(?:false|no|off)[\"']?\s*(?:#.*)?", re.IGNORECASE)


def extract(text: str) -> Extraction:
    """Every definition in `text` (already decoded; may contain a BOM, CRLF, tabs)."""
    lines = _normalize_source(text).split("\n")
    front_matter = _front_matter_lines(lines)
    if front_matter:
        if any(_FRONT_MATTER_OFF.fullmatch(line.strip()) for line in lines[1 : front_matter - 1]):
            return Extraction((), ())
        lines[:front_matter] = [""] * front_matter  # not markdown: keep line numbers, drop the content
    env: dict[str, Any] = {}
    walk = _Walk(lines, env)
    for start, tokens in _parse_in_sections(lines, env):
        walk.run(tokens, start)
    return Extraction(cards=tuple(walk.cards), skipped=tuple(walk.skipped), title=walk.title)


# When at least this share of a part's list items open in bold (and there are enough of them), bold is the
# writer's default text style rather than a term marker (slides exported to markdown do this).
_BOLD_EVERYWHERE_SHARE = 0.8
_BOLD_EVERYWHERE_MIN_ITEMS = 10


# Block tokens the walk acts on; it passes over every other kind (paragraphs' closings, inline content, list
# openings...), which are most of a document's tokens.
_WALKED = frozenset(
    {
        "list_item_open",
        "list_item_close",
        "blockquote_open",
        "blockquote_close",
        "heading_open",
        "table_open",
        "html_block",
        "paragraph_open",
    }
)


@dataclass
class _Survey:
    """What one pass over a part's tokens finds before the walk reads any item."""

    walked: list[int] = field(default_factory=list)  # indices of the tokens the walk acts on
    # Lines (counted from the part's first line) of the list items whose first block is a paragraph, of
    # those opening in bold, and the extent (first line, line after) of every fenced code or HTML block.
    item_lines: list[int] = field(default_factory=list)
    bold_item_lines: list[int] = field(default_factory=list)
    raw_blocks: list[tuple[int, int]] = field(default_factory=list)


def _survey(tokens: Sequence[Token]) -> _Survey:
    survey = _Survey()
    walked, items, bold, raw = survey.walked, survey.item_lines, survey.bold_item_lines, survey.raw_blocks
    last = len(tokens) - 2
    for index, token in enumerate(tokens):
        kind = token.type
        if kind in _WALKED:
            if kind == "paragraph_open":
                if token.hidden:
                    continue  # a tight list's paragraph: nothing that cancels a `card` marker
            elif kind == "list_item_open" and index < last and tokens[index + 2].type == "inline":
                line = token.map[0] if token.map else 0
                items.append(line)
                if tokens[index + 2].content.lstrip().startswith(("**", "__")):
                    bold.append(line)
            elif kind == "html_block" and token.map:
                raw.append((token.map[0], token.map[1]))
            walked.append(index)
        elif kind == "fence" and token.map:
            raw.append((token.map[0], token.map[1]))
    return survey


def is_bold_everywhere(items: int, bold: int) -> bool:
    """Whether a part with `items` list items, `bold` of them opening in bold, has bold as its plain style."""
    return items >= _BOLD_EVERYWHERE_MIN_ITEMS and bold >= _BOLD_EVERYWHERE_SHARE * items


# Fewer bold list items than this in a whole file and no part of it can have bold as its plain style.
BOLD_EVERYWHERE_LEAST = round(_BOLD_EVERYWHERE_SHARE * _BOLD_EVERYWHERE_MIN_ITEMS)


def _first_child_text(tokens: Sequence[Token], index: int) -> str:
    """The first line of the first list item nested at `index` (a list opening), or ''."""
    if index + 3 < len(tokens) and tokens[index].type in ("bullet_list_open", "ordered_list_open"):
        inline = tokens[index + 3]
        if tokens[index + 1].type == "list_item_open" and inline.type == "inline":
            return inline.content.partition("\n")[0]
    return ""


def _front_matter_lines(lines: list[str]) -> int:
    """How many lines a leading YAML front matter block takes (0 when there is none)."""
    if not lines or lines[0].rstrip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return index + 1
    return 0


class _Walk:
    """One pass over the block tokens, tracking headings, enclosing containers and writer's markers."""

    def __init__(self, lines: list[str], env: dict[str, Any]) -> None:
        self.lines = lines
        self.env = env
        self.cards: list[CardDraft] = []
        self.skipped: list[Rejected] = []
        self.headings: list[tuple[int, str]] = []
        self.heading_path: tuple[str, ...] = ()
        # One entry per open list item or blockquote: the item's front if it is a definition, else None.
        self.containers: list[str | None] = []
        self.quote_depth = 0
        self.seen: dict[tuple[tuple[str, ...], str], int] = {}
        self.first_line = 0
        self.carding = True  # False between `dva-cards: off` and `dva-cards: on`
        self.force_next = False  # a `dva-cards: card` marker waits for the next item or row
        self.bold_is_plain = False  # nearly every item is bold: bold alone marks no term
        self.aside = False  # the nearest heading announces tips, examples or issues
        self.list_items = 0  # over every part walked: what sections.py needs to tell the file's bold mode
        self.bold_items = 0
        self.ever_bold_is_plain = False
        self.title: str | None = None  # the first heading's text

    def run(self, tokens: Sequence[Token], first_line: int = 0) -> _Survey:
        """Walk one part of the document whose token line maps count from `first_line`; returns what the
        pass before the walk found in it."""
        self.first_line = first_line
        survey = _survey(tokens)
        items, bold = len(survey.item_lines), len(survey.bold_item_lines)
        self.list_items += items
        self.bold_items += bold
        self.bold_is_plain = is_bold_everywhere(items, bold)
        self.ever_bold_is_plain |= self.bold_is_plain
        for index in survey.walked:
            token = tokens[index]
            kind = token.type
            if kind == "list_item_open":
                self.containers.append(self._read_item(tokens, index))
            elif kind == "list_item_close" or kind == "blockquote_close":
                if self.containers:
                    self.containers.pop()
                if kind == "blockquote_close":
                    self.quote_depth = max(0, self.quote_depth - 1)
            elif kind == "blockquote_open":
                self.containers.append(None)
                self.quote_depth += 1
            elif kind == "heading_open" and index + 1 < len(tokens):
                self.force_next = False
                self._enter_heading(token, tokens[index + 1])
            elif kind == "table_open":
                self._read_table(tokens, index)
            elif kind == "html_block":
                self._read_marker(token.content)
            elif kind == "paragraph_open":  # only those of loose paragraphs are walked
                self.force_next = False
        return survey

    def _read_marker(self, content: str) -> None:
        match = _MARKER.fullmatch(content.strip())
        if match is None:
            return
        word = match.group(1).casefold()
        if word == "card":
            self.force_next = True
        else:
            self.carding = word == "on"

    def _enter_heading(self, heading: Token, inline: Token) -> None:
        level = int(heading.tag[1:]) if heading.tag[1:].isdigit() else 1
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        title = plain_text(inline.content)
        if title:
            self.headings.append((level, title))
            if self.title is None:
                self.title = title
        self.heading_path = tuple(title for _, title in self.headings)
        self.aside = bool(self.headings) and term_rules.is_aside_heading(self.headings[-1][1])

    def _context(self) -> tuple[str, ...]:
        return self.heading_path + tuple(front for front in self.containers if front is not None)

    def _add_card(self, front: str, back: str, line: int) -> None:
        context = self._context()
        key = (context, normalize_term(front))
        occurrence = self.seen.get(key, 0)
        self.seen[key] = occurrence + 1
        self.cards.append(CardDraft(context, front, back, line, occurrence))

    def _read_item(self, tokens: Sequence[Token], index: int) -> str | None:
        """Record the card (or rejection) for the list item opening at `index`; return its front if a card."""
        forced, self.force_next = self.force_next, False
        if not self.carding or index + 4 >= len(tokens):
            return None
        item, paragraph, inline = tokens[index], tokens[index + 1], tokens[index + 2]
        if paragraph.type != "paragraph_open" or inline.type != "inline" or not item.map or not paragraph.map:
            return None
        has_children = tokens[index + 4].type != "list_item_close"
        reading = read_item(
            inline.content,
            has_children=has_children,
            forced=forced,
            bold_is_plain=self.bold_is_plain,
            first_child=_first_child_text(tokens, index + 4) if has_children else "",
        )
        if reading is None:
            return None
        first = self.first_line
        line = first + item.map[0] + 1
        nested = self._nested_markdown(first + paragraph.map[1], first + item.map[1]) if has_children else ""
        back = "\n\n".join(part for part in (reading.back, nested) if part)
        reason = reading.reason
        if reason is None and not back.strip():
            reason = term_rules.EMPTY_DEFINITION
        if reason is None and not forced and self.aside:
            reason = term_rules.ASIDE
        if reason is not None:
            self.skipped.append(Rejected(line, reason, self._source_line(first + item.map[0])))
        else:
            self._add_card(reading.front, back, line)
        # A term the writer marked names what is nested under it, card or not (`**How it works**`), so
        # its children keep their place; a plain lead-in line does not.
        return reading.front if reading.marked else None

    def _read_table(self, tokens: Sequence[Token], index: int) -> None:
        """One card per body row of a two-column term | definition table."""
        forced, self.force_next = self.force_next, False
        header: list[str] = []
        rows: list[tuple[int, list[str]]] = []
        in_body = False
        for token in tokens[index + 1 :]:
            kind = token.type
            if kind == "table_close":
                break
            if kind == "tbody_open":
                in_body = True
            elif kind == "tr_open" and in_body and token.map:
                rows.append((self.first_line + token.map[0], []))
            elif kind == "inline":
                (rows[-1][1] if in_body and rows else header).append(token.content)
        if not self.carding or not (term_rules.is_definition_table(header) or forced and len(header) >= 2):
            return
        if not forced and term_rules.is_description_table(header, [cells for _, cells in rows]):
            for line_index, _ in rows:
                self.skipped.append(
                    Rejected(line_index + 1, term_rules.NOT_TERM_TABLE, self._source_line(line_index))
                )
            return
        for line_index, cells in rows:
            self._read_row(line_index, cells, header, forced)

    def _read_row(self, line_index: int, cells: list[str], header: list[str], forced: bool) -> None:
        if len(cells) < 2:
            return
        front, marked = read_cell_term(cells[0])
        back = cells[1].strip()
        # Further columns (`| Type | Description | Example |`) follow the meaning, each under its header.
        extra = [
            f"{name.strip()}: {cell.strip()}" if name.strip() else cell.strip()
            for name, cell in zip(header[2:], cells[2:], strict=False)
            if cell.strip()
        ]
        if back and extra:
            back = "\n\n".join([back, *extra])
        reason = term_rules.term_rejection(front, marked=marked) or term_rules.back_rejection(
            back, lists_answer=True
        )
        if forced and front and back:
            reason = None
        if not front:
            return
        if reason is not None:
            self.skipped.append(Rejected(line_index + 1, reason, self._source_line(line_index)))
            return
        self._add_card(front, back, line_index + 1)

    def _source_line(self, index: int) -> str:
        return self.lines[index].strip() if 0 <= index < len(self.lines) else ""

    def _nested_markdown(self, start: int, end: int) -> str:
        """The item's blocks after its first paragraph, as markdown that renders on its own."""
        block = self.lines[start:end]
        if self.quote_depth:
            block = [_strip_quote_markers(line, self.quote_depth) for line in block]
        while block and _is_blank(block[-1]):
            block.pop()
        first = 0
        while first < len(block) and _is_blank(block[first]):
            first += 1
        return "\n".join(_dedent(block[first:]))


# Parsing a large file whole holds every block token at once (about 50 bytes of tokens per byte of text).
# Top-level headings split a document into independent parts, so it is parsed a few thousand lines at a
# time. A candidate boundary is a line opening with `#` after a blank line; markdown-it itself confirms it.
_SECTION_LINES = 4000
_BOUNDARY_CANDIDATE = re.compile(r"#{1,6}(?:[ \t]|\Z)")
_RAW_BLOCKS = frozenset({"fence", "html_block"})


def _parse_in_sections(lines: list[str], env: dict[str, Any]) -> Iterator[tuple[int, list[Token]]]:
    """(first line, block tokens) for consecutive parts of the document, each parsed on its own.

    A boundary is kept only if no fence or HTML block of the part before it runs to its end: such a block
    (a shell snippet's `# comment`, say) would have swallowed the heading in a whole-document parse. Then
    the part is parsed again up to a later boundary, as a whole-document parse would read it. Not the rest
    of the file in one piece: that holds every token of a large file at once. The later boundary is sought
    ever further on (1, 2, 4... lines past the last), so a block that never closes costs a few re-parses.
    """
    start = 0
    while start < len(lines):
        end = _next_boundary(lines, start + _SECTION_LINES)
        tokens = _parse_blocks("\n".join(lines[start:end]), env)
        step = 1
        while end < len(lines) and _runs_to_end(tokens, _content_end(lines, start, end)):
            end = _next_boundary(lines, end + step)
            step *= 2
            tokens = _parse_blocks("\n".join(lines[start:end]), env)
        yield start, tokens
        start = end


def _parse_blocks(text: str, env: dict[str, Any]) -> list[Token]:
    return block_parser(text).parse(text, env)


def _next_boundary(lines: list[str], at_least: int) -> int:
    for index in range(at_least, len(lines)):
        if not lines[index - 1].strip() and _BOUNDARY_CANDIDATE.match(lines[index]):
            return index
    return len(lines)


def _runs_to_end(tokens: list[Token], line_count: int) -> bool:
    return any(token.type in _RAW_BLOCKS and token.map and token.map[1] >= line_count for token in tokens)


def _normalize_source(text: str) -> str:
    """The text exactly as markdown-it sees it, so token line maps index our own line list."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return text


def _strip_quote_markers(line: str, depth: int) -> str:
    for _ in range(depth):
        match = _QUOTE_MARKER.match(line)
        if match is None:
            break
        line = line[match.end() :]
    return line


def _is_blank(line: str) -> bool:
    return not line.strip(" \t")


def _leading_columns(line: str) -> tuple[int, str]:
    """Width of the line's indentation (tabs to multiples of 4, as CommonMark does) and the rest."""
    rest = line.lstrip(" \t")
    indent = line[: len(line) - len(rest)]
    if "\t" not in indent:
        return len(indent), rest
    width = 0
    for char in indent:
        width = width + 4 - width % 4 if char == "\t" else width + 1
    return width, rest


def _dedent(block: list[str]) -> list[str]:
    """Remove the indentation shared by all non-blank lines, so a nested list renders as a list."""
    if not any("\t" in line for line in block):  # the usual case: indentation is spaces, one column each
        rests = [line.lstrip(" ") for line in block]
        cut = min((len(line) - len(rest) for line, rest in zip(block, rests, strict=True) if rest), default=0)
        if cut == 0:
            return block
        return [line[cut:] if rest else "" for line, rest in zip(block, rests, strict=True)]
    measured = [_leading_columns(line) for line in block]
    cut = min((width for width, rest in measured if rest), default=0)
    if cut == 0:
        return block
    dedented: list[str] = []
    for line, (width, rest) in zip(block, measured, strict=True):
        if not rest:
            dedented.append("")
        elif "\t" in line[: len(line) - len(rest)]:
            dedented.append(" " * (width - cut) + rest)
        else:
            dedented.append(line[cut:])
    return dedented


@dataclass(frozen=True)
class Part:
    """`extract` of one part of a file, with what decides whether parts extracted apart add up to the file."""

    extraction: Extraction
    references: bool  # it defines link references, which markdown lets any part of a file use
    open_end: bool  # a fenced code or HTML block runs to its end (and would run on into text after it)
    list_items: int
    bold_items: int  # list items opening in bold
    bold_is_plain: bool  # some piece of it was read with bold as the plain style
    # Where, counted from its first line: the list items whose first block is a paragraph, those opening in
    # bold, and every fenced code or HTML block (first line, line after it). With these, the parts of a file
    # tell how a whole-file parse would cut the file into pieces and read bold in each (sections.py).
    item_lines: tuple[int, ...] = ()
    bold_item_lines: tuple[int, ...] = ()
    raw_blocks: tuple[tuple[int, int], ...] = ()


def extract_part(text: str) -> Part:
    """`extract` of normalized text without front matter or writer's markers (see `has_file_wide_state`)."""
    lines = text.split("\n")
    env: dict[str, Any] = {}
    walk = _Walk(lines, env)
    open_end = False
    items: list[int] = []
    bold: list[int] = []
    raw: list[tuple[int, int]] = []
    for start, tokens in _parse_in_sections(lines, env):
        survey = walk.run(tokens, start)
        content_end = _content_end(lines, start, len(lines))
        open_end = any(after >= content_end for _, after in survey.raw_blocks)
        items.extend(start + line for line in survey.item_lines)
        bold.extend(start + line for line in survey.bold_item_lines)
        raw.extend((start + first, start + after) for first, after in survey.raw_blocks)
    return Part(
        Extraction(cards=tuple(walk.cards), skipped=tuple(walk.skipped), title=walk.title),
        bool(env.get("references")),
        open_end,
        walk.list_items,
        walk.bold_items,
        walk.ever_bold_is_plain,
        tuple(items),
        tuple(bold),
        tuple(raw),
    )


def piece_ends(lines: list[str], runs_to_end: Callable[[int, int, int], bool]) -> list[int]:
    """Where `extract` ends each piece of `lines`, given whether a fenced code or HTML block of the piece
    `[start, end)` reaches its content end (the third argument, counted from `start`), without parsing."""
    ends: list[int] = []
    start = 0
    while start < len(lines):
        end = _next_boundary(lines, start + _SECTION_LINES)
        step = 1
        while end < len(lines) and runs_to_end(start, end, _content_end(lines, start, end)):
            end = _next_boundary(lines, end + step)
            step *= 2
        ends.append(end)
        start = end
    return ends


def has_file_wide_state(text: str, lines: list[str]) -> bool:
    """Whether normalized `text` (split into `lines`) holds something whose effect crosses top-level headings:
    front matter (which may turn the whole file off) or a writer's marker (`off` holds until `on`, wherever
    that is). Any text looking like a marker counts, even in code: a cheap test that never misses one."""
    return _front_matter_lines(lines) > 0 or "dva-cards" in text.casefold()


def parsed_in_one_piece(lines: list[str]) -> bool:
    """Whether `extract` parses normalized `lines` in a single piece, so one bold mode holds for the file."""
    return _next_boundary(lines, _SECTION_LINES) == len(lines)


def normalize_source(text: str) -> str:
    """The text exactly as markdown-it sees it, so token line maps index our own line list."""
    return _normalize_source(text)


def _content_end(lines: list[str], start: int, end: int) -> int:
    """The line after the last non-blank one of `lines[start:end]`, counted from `start`. A fence or HTML
    block reaching it is still open there, whatever blank lines follow (markdown-it's line maps do not count
    the empty line after a final newline)."""
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end - start
