"""Markdown notes -> card drafts. Pure: text in, values out (markdown-it-py tokens, never regex over lines).

A list item is a *definition* when its first paragraph opens with a term: a strong (`**x**`, `__x__`),
emphasis (`*x*`, `_x_`) or code span, followed by a separator (`-`, `–`, `—`, `:`, `=`, `->`), by running
text, or by nested blocks. The term becomes the card's front (plain text); the rest of the paragraph plus
everything nested in the item (as the user's own markdown, dedented) becomes the back.

Shapes recognised after the term:

* `**ASG** - **Auto Scaling Groups** - a group…` -> back `**Auto Scaling Groups** — a group…`: a strong or
  emphasised expansion followed by a dash keeps the expansion and joins the answer with an em dash.
* `**SAM** - **Serverless Application Model** -` -> back `**Serverless Application Model**`.
* `` `22` = **SSH** (Secure Shell) - log in`` -> front `22 = SSH (Secure Shell)`, back `log in`: a name after
  `=` that is itself followed by a separator and an answer belongs to the front.
* `*Infrequent access* (EFS-IA) - cost…` -> front `Infrequent access (EFS-IA)`: a parenthesised qualifier
  right after the term belongs to the front when a separator (or nothing) follows it.
* Any other shape after the separator is kept as written, e.g. code or arrows (`` `A` -> `B` -> c ``),
  where the arrow carries meaning.

The inline part of the back comes first, then a blank line, then the item's nested blocks.

Choices where the notes format leaves room:

* A bare term with nothing after it and nothing nested (`* *Max Size*`) is an ordinary list item, not a
  definition: it is neither a card nor reported. A term *with* a separator and nothing to learn
  (`* **DynamoDB** - `) is reported as `Skipped`.
* A term glued to the next word (`**S3**'s bucket`, `` `a`,`b` ``) is not a term; running text must be
  separated from the term by whitespace or a line break.
* Only a strong term runs straight into its answer without a separator (`**IAM Policies** are…`). An
  emphasised or code span opening a sentence is stress (`*highest cost* but no *upfront payment*`), so it
  needs a separator or nested blocks to make a definition.
* A term containing a link, image or raw HTML is not a term; a leading link never is (tables of contents).
* Items inside blockquotes are extracted like any other; their nested markdown is given back without the
  `>` markers of the enclosing quotes.
* Everything nested in a definition item (sub-lists, further paragraphs, code blocks) is part of its back.
  Nested definitions also become cards of their own, with the parent's front in their context.
* Headings anywhere (also inside list items) update the heading path; an empty heading only truncates it.
* Nothing is taken from code blocks, HTML blocks, tables, or headings themselves. Lists nested deeper than
  markdown-it's nesting limit are not walked; they still appear in their ancestors' backs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .identity import normalize_term as normalize_term  # lives with the ids it feeds; re-exported


@dataclass(frozen=True)
class CardDraft:
    """One definition found in the notes, before it has a deck or an id."""

    context: tuple[str, ...]  # heading path, then the terms of ancestor definition items
    front: str  # the term, as plain text (inline markup stripped)
    back: str  # markdown: the rest of the item's inline text, then its whole nested list
    line: int  # 1-based line of the bullet in the source text
    occurrence: int  # 0 for the first card with this normalized front in this context, 1 for the next...


@dataclass(frozen=True)
class Skipped:
    """A bullet that looks like a definition but has nothing to learn (e.g. `* **DynamoDB** - `)."""

    line: int
    reason: str
    text: str  # the item's first line as written, trimmed


@dataclass(frozen=True)
class Extraction:
    cards: tuple[CardDraft, ...]
    skipped: tuple[Skipped, ...]


EMPTY_DEFINITION = "empty definition"

# A separator right after a term (or after an expansion): dashes, arrows, colon, equals sign.
# It must stand apart from what follows, so `-1` or `:x` stay running text.
_SEPARATOR = re.compile(r"[ \t]*(-+>|=>|-+|[–—:=])(?:[ \t]+|\Z)")
_DASH_SEPARATOR = re.compile(r"-+|[–—]")
# "(Secure Shell)" right after a name; no nested parentheses, no line breaks.
_QUALIFIER = re.compile(r"[ \t]+(\([^()\n]*\))")
# The `>` marker of one enclosing blockquote at the start of a line.
_QUOTE_MARKER = re.compile(r"[ \t]*>[ ]?")
# A paragraph can only open with a term if it starts with one of these.
_TERM_OPENERS = frozenset("*_`")
# Characters at which markdown-it's CommonMark inline rules can start something other than text;
# an inline without them is its own plain text.
_INLINE_TRIGGERS = re.compile(r"[*_`\\\[<&\n]")
# The common shapes `**Term** rest`, `*Term* rest`, `` `term` rest `` on a single line, whose tokens are
# known without running the inline parser (see _split_simple_term).
_SIMPLE_EMPHASIS = re.compile(r"(\*\*|__|\*|_)([^*_`\\\[<&\n]+)\1(?=[ \t]|\Z)")
_SIMPLE_CODE = re.compile(r"(`+)([^`\n]+)\1(?=[ \t]|\Z)")

_EMPHASIS_OPEN = {"strong_open": "strong_close", "em_open": "em_close"}
_EMPHASIS_MARKERS = frozenset({"strong_open", "strong_close", "em_open", "em_close"})
_LINE_BREAKS = frozenset({"softbreak", "hardbreak"})


def extract(text: str) -> Extraction:
    """Every definition in `text` (already decoded; may contain a BOM, CRLF, tabs)."""
    lines = _normalize_source(text).split("\n")
    env: dict[str, Any] = {}
    walk = _Walk(lines, env)
    for start, tokens in _parse_in_sections(lines, env):
        walk.run(tokens, start)
    return Extraction(cards=tuple(walk.cards), skipped=tuple(walk.skipped))


# Parsing a large file whole holds every block token at once (about 50 bytes of tokens per byte of text).
# Top-level headings split a document into independent parts, so it is parsed a few thousand lines at a
# time. A candidate boundary is a line opening with `#` after a blank line; markdown-it itself confirms it.
_SECTION_LINES = 4000
_BOUNDARY_CANDIDATE = re.compile(r"#{1,6}(?:[ \t]|\Z)")
_RAW_BLOCKS = frozenset({"fence", "html_block"})


def _parse_in_sections(lines: list[str], env: dict[str, Any]) -> Iterator[tuple[int, list[Token]]]:
    """(first line, block tokens) for consecutive parts of the document, each parsed on its own.

    A boundary is kept only if no fence or HTML block of the part before it runs to its end: such a block
    would have swallowed the heading in a whole-document parse. Then the rest is parsed in one piece,
    which is what a whole-document parse would have done.
    """
    md = _parser()
    start = 0
    while start < len(lines):
        end = _next_boundary(lines, start + _SECTION_LINES)
        tokens = md.parse("\n".join(lines[start:end]), env)
        if end < len(lines) and _runs_to_end(tokens, _content_end(lines, start, end)):
            end = len(lines)
            tokens = md.parse("\n".join(lines[start:]), env)
        yield start, tokens
        start = end


def _next_boundary(lines: list[str], at_least: int) -> int:
    for index in range(at_least, len(lines)):
        if not lines[index - 1].strip() and _BOUNDARY_CANDIDATE.match(lines[index]):
            return index
    return len(lines)


def _runs_to_end(tokens: list[Token], line_count: int) -> bool:
    return any(token.type in _RAW_BLOCKS and token.map and token.map[1] >= line_count for token in tokens)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")
    # Inline markup matters only for headings and for list items that may open with a term; those
    # inlines are parsed on demand, which spares the inline pass over every other paragraph and cell.
    md.core.ruler.disable(["inline", "text_join"], ignoreInvalid=True)
    return md


def _normalize_source(text: str) -> str:
    """The text exactly as markdown-it sees it, so token line maps index our own line list."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return text


@dataclass(frozen=True)
class _Head:
    """What the first paragraph of a definition item says: its front and the inline part of its back."""

    front: str
    back: str
    has_separator: bool


class _Cursor(NamedTuple):
    """A position in an inline's children, kept in step with the matching offset in its source."""

    child: int  # index of the child being read
    offset: int  # characters of that child already consumed (text children only)
    pos: int  # offset in the inline source


class _Span(NamedTuple):
    """A term-like element (strong, emphasis or code span) read from an inline."""

    plain: str
    kind: str  # the opening token type
    end: _Cursor


class _Walk:
    """One pass over the block tokens, tracking headings and the chain of enclosing containers."""

    def __init__(self, lines: list[str], env: dict[str, Any]) -> None:
        self.lines = lines
        self.env = env
        self.md = _parser()
        self.cards: list[CardDraft] = []
        self.skipped: list[Skipped] = []
        self.headings: list[tuple[int, str]] = []
        self.heading_path: tuple[str, ...] = ()
        # One entry per open list item or blockquote: the item's front if it is a definition, else None.
        self.containers: list[str | None] = []
        self.quote_depth = 0
        self.seen: dict[tuple[tuple[str, ...], str], int] = {}
        self.first_line = 0

    def run(self, tokens: Sequence[Token], first_line: int = 0) -> None:
        """Walk one part of the document whose token line maps count from `first_line`."""
        self.first_line = first_line
        for index, token in enumerate(tokens):
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
                self._enter_heading(token, tokens[index + 1])

    def _enter_heading(self, heading: Token, inline: Token) -> None:
        level = int(heading.tag[1:]) if heading.tag[1:].isdigit() else 1
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        title = self._plain_inline(inline.content)
        if title:
            self.headings.append((level, title))
        self.heading_path = tuple(title for _, title in self.headings)

    def _plain_inline(self, content: str) -> str:
        if not _INLINE_TRIGGERS.search(content):
            return " ".join(content.split())
        return " ".join(_plain_text(self._inline_children(content)).split())

    def _inline_children(self, content: str) -> list[Token]:
        children: list[Token] = []
        self.md.inline.parse(content, self.md, self.env, children)
        return children

    def _read_item(self, tokens: Sequence[Token], index: int) -> str | None:
        """Record the card (or skip) for the list item opening at `index`; return its front if any."""
        if index + 2 >= len(tokens):
            return None
        item, paragraph, inline = tokens[index], tokens[index + 1], tokens[index + 2]
        if paragraph.type != "paragraph_open" or inline.type != "inline":
            return None
        content = inline.content
        if not content or content[0] not in _TERM_OPENERS or not item.map or not paragraph.map:
            return None
        simple = _split_simple_term(content)
        if simple is not None:
            head = _read_plain_head(*simple)
        else:
            head = _read_head(content, self._inline_children(content))
        if head is None:
            return None
        first = self.first_line
        nested = self._nested_markdown(first + paragraph.map[1], first + item.map[1])
        back = "\n\n".join(part for part in (head.back, nested) if part)
        line = first + item.map[0] + 1
        if not back.strip():
            if head.has_separator:
                self.skipped.append(Skipped(line, EMPTY_DEFINITION, self._source_line(first + item.map[0])))
            return None
        context = self.heading_path + tuple(front for front in self.containers if front is not None)
        key = (context, normalize_term(head.front))
        occurrence = self.seen.get(key, 0)
        self.seen[key] = occurrence + 1
        self.cards.append(CardDraft(context, head.front, back, line, occurrence))
        return head.front

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


def _split_simple_term(content: str) -> tuple[str, str, bool] | None:
    """(term, rest, is strong) of a one-line paragraph that opens with a plain term and has no other markup.

    Most definition lines look like that, and running the inline parser on them would cost more than
    the whole block parse; anything else returns None and goes through the inline parser.
    """
    match = _SIMPLE_EMPHASIS.match(content)
    strong = False
    if match is not None:
        term = match.group(2)
        strong = len(match.group(1)) == 2
        # CommonMark flanking: an opener must not be followed by whitespace, nor a closer preceded by it.
        if term[0].isspace() or term[-1].isspace():
            return None
    else:
        match = _SIMPLE_CODE.match(content)
        if match is None:
            return None
        term = match.group(2)
        if term.startswith(" ") and term.endswith(" ") and term.strip(" "):
            term = term[1:-1]
    rest = content[match.end() :]
    if _INLINE_TRIGGERS.search(rest):
        return None
    return term, rest, strong


def _read_plain_head(term: str, rest: str, strong: bool) -> _Head | None:
    """`_read_head` for a term followed by text without markup, where no expansion can occur."""
    qualifier = _QUALIFIER.match(rest)
    if qualifier is not None:
        after = rest[qualifier.end() :]
        if not after.strip() or _SEPARATOR.match(after):
            term, rest = f"{term} {qualifier.group(1)}", after
    separator = _SEPARATOR.match(rest)
    if separator is not None:
        return _finish_head(term, rest[separator.end() :], has_separator=True)
    if rest and not _may_run_on(rest, strong):
        return None
    return _finish_head(term, rest, has_separator=False)


def _may_run_on(rest: str, strong: bool) -> bool:
    """Whether text right after a term, with no separator, makes the item a definition.

    Only a strong term may run straight into its answer (`**IAM Policies** are JSON documents…`): an
    emphasised or code word at the start of a sentence is stress, not a term (`*highest cost* but no…`).
    """
    if not rest.strip():
        return True
    return strong and rest[0].isspace()


def _read_head(content: str, children: list[Token]) -> _Head | None:
    """Split a paragraph that opens with a term into front and inline back, or None if it does not."""
    term = _read_span(content, children, _Cursor(0, 0, 0))
    if term is None:
        return None
    front, cursor = term.plain, term.end
    qualifier = _read_qualifier(content, children, cursor)
    if qualifier is not None:
        front = f"{front} {qualifier[0]}"
        cursor = qualifier[1]
    separator = _read_separator(children, cursor)
    if separator is None:
        rest = content[cursor.pos :]
        if rest and not _may_run_on(rest, term.kind == "strong_open"):
            return None
        return _finish_head(front, rest, has_separator=False)
    symbol, cursor = separator
    rest_start = cursor.pos
    rest = content[rest_start:]
    expansion = _read_span(content, children, cursor)
    if expansion is None:
        return _finish_head(front, rest, has_separator=True)
    expanded, after = expansion.plain, expansion.end
    qualifier = _read_qualifier(content, children, after)
    if qualifier is not None:
        expanded = f"{expanded} {qualifier[0]}"
        after = qualifier[1]
    expansion_markdown = content[rest_start : after.pos]
    second = _read_separator(children, after)
    if second is None:
        # Nothing but the expansion (`**X** = **Y**`) or running text after it: keep it as written.
        return _finish_head(front, rest, has_separator=True)
    answer = content[second[1].pos :].strip()
    if not answer:
        return _finish_head(front, expansion_markdown, has_separator=True)
    if symbol == "=":
        return _finish_head(f"{front} = {expanded}", answer, has_separator=True)
    if expansion.kind != "code_inline" and _DASH_SEPARATOR.fullmatch(second[0]):
        return _finish_head(front, f"{expansion_markdown.strip()} — {answer}", has_separator=True)
    return _finish_head(front, rest, has_separator=True)


def _finish_head(front: str, back: str, *, has_separator: bool) -> _Head | None:
    front = " ".join(front.split())
    if front.endswith(":"):
        front = front.rstrip(":").rstrip()
    if not front:
        return None
    return _Head(front, back.strip(), has_separator)


def _settle(children: list[Token], cursor: _Cursor) -> _Cursor:
    """Move past fully consumed or empty text children."""
    child, offset = cursor.child, cursor.offset
    while child < len(children) and children[child].type == "text":
        if offset < len(children[child].content):
            break
        child, offset = child + 1, 0
    if child == cursor.child:
        return cursor
    return _Cursor(child, offset, cursor.pos)


def _text_ahead(children: list[Token], cursor: _Cursor) -> str:
    """The unread part of the text child under the cursor ('' if the cursor is not on text)."""
    cursor = _settle(children, cursor)
    if cursor.child < len(children) and children[cursor.child].type == "text":
        return children[cursor.child].content[cursor.offset :]
    return ""


def _advance(children: list[Token], cursor: _Cursor, count: int) -> _Cursor:
    """The cursor `count` characters further into the text child it is on."""
    cursor = _settle(children, cursor)
    return _settle(children, _Cursor(cursor.child, cursor.offset + count, cursor.pos + count))


def _read_separator(children: list[Token], cursor: _Cursor) -> tuple[str, _Cursor] | None:
    match = _SEPARATOR.match(_text_ahead(children, cursor))
    if match is None:
        return None
    return match.group(1), _advance(children, cursor, match.end())


def _read_qualifier(content: str, children: list[Token], cursor: _Cursor) -> tuple[str, _Cursor] | None:
    """A "(…)" right after a name, when a separator or the end of the paragraph follows it."""
    match = _QUALIFIER.match(_text_ahead(children, cursor))
    if match is None:
        return None
    after = _advance(children, cursor, match.end())
    if content[after.pos :].strip() and _read_separator(children, after) is None:
        return None
    return match.group(1), after


def _read_span(content: str, children: list[Token], cursor: _Cursor) -> _Span | None:
    """The strong, emphasis or code span starting exactly at the cursor, with where it ends."""
    cursor = _settle(children, cursor)
    if cursor.offset or cursor.child >= len(children):
        return None
    opening = children[cursor.child]
    if opening.type == "code_inline":
        end = _code_span_end(content, cursor.pos, opening.markup)
        if end < 0:
            return None
        return _Span(opening.content, opening.type, _Cursor(cursor.child + 1, 0, end))
    closing_type = _EMPHASIS_OPEN.get(opening.type)
    if closing_type is None:
        return None
    return _read_emphasis(content, children, cursor, closing_type)


def _read_emphasis(content: str, children: list[Token], cursor: _Cursor, closing_type: str) -> _Span | None:
    """Walk an emphasis from its opener to its closer, tracking the source position as it goes."""
    opening = children[cursor.child]
    pos = cursor.pos
    plain: list[str] = []
    for index in range(cursor.child, len(children)):
        child = children[index]
        kind = child.type
        if kind == "text":
            plain.append(child.content)
            pos += len(child.content)
        elif kind == "text_special":
            plain.append(child.content)
            pos += len(child.markup)
        elif kind == "code_inline":
            plain.append(child.content)
            pos = _code_span_end(content, pos, child.markup)
            if pos < 0:
                return None
        elif kind in _LINE_BREAKS:
            plain.append(" ")
            pos = _skip_line_break(content, pos)
        elif kind in _EMPHASIS_MARKERS:
            if not content.startswith(child.markup, pos):
                return None  # the source does not line up with the tokens: not a plain term
            pos += len(child.markup)
            if kind == closing_type and child.level == opening.level:
                return _Span("".join(plain), opening.type, _Cursor(index + 1, 0, pos))
        else:
            return None  # links, images and raw HTML do not make a term
    return None


def _code_span_end(source: str, start: int, fence: str) -> int:
    """End of the code span opened by `fence` at `start`: after the next backtick run of equal length."""
    if not fence or not source.startswith(fence, start):
        return -1
    search = start + len(fence)
    while (run_start := source.find("`", search)) != -1:
        run_end = run_start + 1
        while run_end < len(source) and source[run_end] == "`":
            run_end += 1
        if run_end - run_start == len(fence):
            return run_end
        search = run_end
    return -1


def _skip_line_break(source: str, pos: int) -> int:
    """Past a soft or hard line break: trailing spaces or backslash, the newline, the next indent."""
    while pos < len(source) and source[pos] == " ":
        pos += 1
    if pos < len(source) and source[pos] == "\\":
        pos += 1
    if pos < len(source) and source[pos] == "\n":
        pos += 1
    while pos < len(source) and source[pos] in " \t":
        pos += 1
    return pos


def _plain_text(children: list[Token]) -> str:
    """Inline tokens as plain text: markup dropped, code kept, image descriptions kept."""
    parts: list[str] = []
    # Image descriptions are token lists of their own; a stack keeps nested ones from recursing.
    pending: list[list[Token]] = [children]
    positions: list[int] = [0]
    while pending:
        tokens, at = pending[-1], positions[-1]
        if at >= len(tokens):
            pending.pop()
            positions.pop()
            continue
        positions[-1] = at + 1
        token = tokens[at]
        if token.type in ("text", "text_special", "code_inline"):
            parts.append(token.content)
        elif token.type in _LINE_BREAKS:
            parts.append(" ")
        elif token.type == "image" and token.children:
            pending.append(token.children)
            positions.append(0)
    return "".join(parts)


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


def extract_part(text: str) -> tuple[Extraction, bool, bool]:
    """`extract` of normalized text, with whether it defines link references (which markdown lets any part
    of a file use) and whether a fenced code or HTML block runs to its end (and would run on into text
    after it)."""
    lines = text.split("\n")
    env: dict[str, Any] = {}
    walk = _Walk(lines, env)
    open_end = False
    for start, tokens in _parse_in_sections(lines, env):
        walk.run(tokens, start)
        open_end = _runs_to_end(tokens, _content_end(lines, start, len(lines)))
    return (
        Extraction(cards=tuple(walk.cards), skipped=tuple(walk.skipped)),
        bool(env.get("references")),
        open_end,
    )


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
