"""Read a list item's first paragraph (or a table row) as `term + separator + answer`. Pure.

`read_item` finds the term the way a writer marks it, in this order:

1. a marked term at the start: `**strong**`, `__strong__`, `*em*`, `_em_`, `` `code` ``, `[link](url)`,
   `[[wiki link]]` (or `[[target|alias]]`), and these nested (`**[[Wiki]]**`, `[**Term**](#anchor)`);
   emoji before it are decoration and ignored. A separator may sit inside the bold (`**Term:** text`),
   or the bold may hold the whole pair (`**IaC = Infrastructure as Code**`). A parenthesis right after the
   term belongs to the front (`**Term** (abbr) text` -> `Term (abbr)`).
2. `A *term* is ...`: an article, a marked term and a defining verb (`is`, `are`, `means`...).
3. a plain term: the text before the first separator of the first line (`Cold start: the delay...`).

Separators: `-`, `--`, `–`, `—`, `:`, `：`, `=`, `->`, `=>`, `→`, also with a space before the colon
(`**Ressources** : ...`). A term line with nothing after it (or only a separator) is a definition when
sub-bullets or indented paragraphs follow: they are its answer.

Each reading is then judged by `term_rules` (too long, a label, a sentence...). A reading with a reason is
a candidate that looked like a definition but did not become a card; `None` means the item never looked
like one (prose, a bare bullet, a link list).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from . import term_rules
from .term_rules import word_list

# markdown-it is imported when something is parsed (`parser`): a re-import that parses nothing spares it.
if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token


@dataclass(frozen=True)
class Reading:
    """What an item says: its front, the inline part of its answer, and why it is not a card (if not)."""

    front: str  # plain text
    back: str  # markdown: the rest of the first paragraph after the separator (nested blocks come later)
    reason: str | None  # None: a card; else the reason code shown by `--explain`
    marked: str = ""  # how the writer marked the term ("strong", "em", "code", "link", ...; "" for plain)


@lru_cache(maxsize=1)
def parser() -> MarkdownIt:
    return new_parser()


def new_parser() -> MarkdownIt:
    """The parser for notes (`block_parser` may leave some block rules out of it)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    # Inline markup matters only for headings and for the few spans read as terms; those are parsed on
    # demand, which spares the inline pass over every other paragraph and table cell.
    md.core.ruler.disable(["inline", "text_join"], ignoreInvalid=True)
    return md


# Characters at which CommonMark inline rules can start something other than text.
_INLINE_TRIGGERS = re.compile(r"[*_`\\\[<&!\n]")
_WIKILINK = re.compile(r"!?\[\[([^\[\]\n|#]*)(?:#[^\[\]\n|]*)?(?:\|([^\[\]\n]*))?\]\]")
_LINE_BREAKS = frozenset({"softbreak", "hardbreak"})


def inline_children(markdown: str) -> list[Token]:
    md = parser()
    children: list[Token] = []
    md.inline.parse(markdown, md, {}, children)
    return children


def plain_text(markdown: str) -> str:
    """Inline markdown as plain text: markup dropped, code and link text kept, wiki links as their text."""
    if "[[" in markdown:
        markdown = _WIKILINK.sub(lambda m: (m.group(2) or m.group(1) or "").strip(), markdown)
    if not _INLINE_TRIGGERS.search(markdown):
        return " ".join(markdown.split())
    return " ".join(_children_text(inline_children(markdown)).split())


def _children_text(children: list[Token]) -> str:
    parts: list[str] = []
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
        elif token.type == "html_inline" and token.content.casefold() == "<sup>":
            parts.append("^")  # `2<sup>n</sup>` reads 2^n
        elif token.type == "image" and token.children:
            pending.append(token.children)
            positions.append(0)
    return "".join(parts)


# -- marked terms ---------------------------------------------------------------------------------------


class Span(NamedTuple):
    kind: str  # "strong", "em", "code", "link", "wikilink"
    inner: str  # the markdown between the markers (the link text for links)
    end: int  # offset just after the span


_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1(?![*_])", re.DOTALL)
_EM = re.compile(r"(\*|_)(?=[^\s*_])(.+?)(?<=[^\s\\])\1(?![*_])", re.DOTALL)
_CODE = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_LEADING_WIKILINK = re.compile(r"\[\[([^\[\]\n]+)\]\]")
_EXPECTED_TOP_LEVEL = {
    "strong": ["strong_open", "strong_close"],
    "em": ["em_open", "em_close"],
    "code": ["code_inline"],
    "link": ["link_open", "link_close"],
}


def leading_span(text: str) -> Span | None:
    """The marked term that opens `text`, if the markup really closes where it seems to."""
    if not text:
        return None
    first = text[0]
    span: Span | None = None
    if text.startswith("[["):
        match = _LEADING_WIKILINK.match(text)
        return Span("wikilink", match.group(1), match.end()) if match else None
    if first == "[":
        span = _link_span(text)
    elif first == "`":
        match = _CODE.match(text)
        span = Span("code", match.group(2), match.end()) if match else None
    elif first in "*_":
        match = _STRONG.match(text)
        if match is not None:
            span = Span("strong", match.group(2), match.end())
        else:
            match = _EM.match(text)
            if match is not None and not (first == "_" and text[match.end() : match.end() + 1].isalnum()):
                span = Span("em", match.group(2), match.end())
    if span is None or not _confirmed(text[: span.end], span.kind):
        return None
    return span


# `[Plain words](#anchor)`, `[Name](https://host/path)`: a label without markup and a destination without
# spaces, parentheses, brackets, escapes or a scheme other than http(s); CommonMark reads it as one link.
_PLAIN_LINK = re.compile(r"\[[^\[\]*_`\\<&!\n]+\]\((?:https?://)?[\w#/.~?=%+-]+\)")


def _confirmed(markdown: str, kind: str) -> bool:
    """Whether the inline parser reads `markdown` as exactly one span of `kind`."""
    if kind != "link" and not _INLINE_TRIGGERS.search(markdown[2:-2]) and "\n" not in markdown:
        return True  # `**plain words**`: the regex already checked what CommonMark would
    if kind == "link" and _PLAIN_LINK.fullmatch(markdown):
        return True  # a navigation link (most links in notes), spared the inline parser
    top = [
        child.type
        for child in inline_children(markdown)
        if child.level == 0 and (child.type != "text" or child.content)
    ]
    # `***both***` parses as emphasis around strong: still one marked span.
    return top == _EXPECTED_TOP_LEVEL[kind] or (kind == "strong" and top == _EXPECTED_TOP_LEVEL["em"])


def _link_span(text: str) -> Span | None:
    """`[text](destination "title")` at the start of `text` (brackets and parentheses balanced)."""
    depth, index = 0, 0
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                break
        elif char == "\n" and index > 0 and text[index - 1] == "\n":
            return None
        index += 1
    else:
        return None
    label_end = index
    if not text.startswith("(", label_end + 1):
        return None
    depth, index = 0, label_end + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return Span("link", text[1:label_end], index + 1)
        elif char == "\n":
            return None
        index += 1
    return None


def span_text(span: Span) -> str:
    if span.kind == "code":
        inner = span.inner
        if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
            inner = inner[1:-1]
        return " ".join(inner.split())
    if span.kind == "wikilink":
        target, _, alias = span.inner.partition("|")
        return " ".join((alias or target.partition("#")[0]).split())
    return plain_text(span.inner)


# -- separators -----------------------------------------------------------------------------------------

# Right after a marked term: a separator standing apart from what follows (so `-1` or `:x` stay text).
_SEPARATOR = re.compile(r"[ \t]*(?:(-+>|=>|-+|[–—=:])(?=[ \t\n]|\Z)|([：→]))[ \t]*")
# Inside a line of plain text: a colon after the term (a space before it allowed), or a spaced dash,
# equals sign or arrow.
_PLAIN_SEPARATOR = re.compile(
    r"[ \t]*:(?=[ \t]|\Z)[ \t]*|(?<=[a-z]):(?=[A-Z][a-z])|(?<=[A-Z])[ \t]+-(?=[A-Z][a-z])|[ \t]*[：→][ \t]*|[ \t]+(?:-+>|=>|-{1,2}|[–—=])(?=[ \t]|\Z)[ \t]*"
)
_DASH = re.compile(r"-+|[–—]")
# "(Secure Shell)" right after a name; no nested parentheses, no line breaks.
_QUALIFIER = re.compile(r"[ \t]*(\([^()\n]*\)|（[^（）\n]*）)")
_MAX_QUALIFIER_WORDS = 6
_EXAMPLE_OPENER = re.compile(
    r"(?:e\.\s?g\.?|i\.\s?e\.?|eg\b|ex\.|like\b|such as\b|for example\b|p\.\s?ej\.|por ejemplo\b|par exemple\b|例如|比如)",
    re.I,
)
# How far into a sentence a defining verb still makes its bold opener a term (`**X** at Y level is ...`).
_DEFINING_VERB_REACH = 6
# A plain line without a separator is a term line only when it is this short (and its children explain it).
_MAX_BARE_TERM_WORDS = 4
# Verbs with which a sentence defines the marked term that opens it (`**IAM Policies** are ...`).
_DEFINING_VERBS = frozenset(
    word_list(
        "is are was were means mean refers refer stands represents denotes describes defines consists "
        "es son significa significan se refiere est sont désigne signifie ist sind bezeichnet bedeutet"
    )
)
_GLUED_DEFINING = ("是", "指", "即", "为", "用于", "同样是", "又称", "能够", "类似于")
# Words that continue a phrase: after a bold opener they show the bold is stress inside a sentence.
_PHRASE_WORDS = frozenset(
    word_list(
        "for of in on at to with without by from into onto over under than as and or but nor so the a an "
        "your our their its my this that these those "
        "para de del en con sin por y o pero que el la los las un una "
        "pour du des dans sur avec sans par et ou mais le les une "
        "für von mit ohne und oder aber im"
    )
)
_ARTICLES = frozenset(word_list("a an the un una une el la le les los las ein eine der die das"))
_TASK_BOX = re.compile(r"\[[ xX]\][ \t]")


def _skip_decoration(text: str) -> int:
    """Offset past leading emoji and symbols (`🔄 **Term**`): decoration, not part of the term."""
    index = 0
    while index < len(text):
        char = text[index]
        if char in " \t" or (
            not char.isascii() and unicodedata.category(char) in ("So", "Sk", "Cf", "Mn", "Co")
        ):
            index += 1
        else:
            break
    return index


def _balanced(term: str) -> bool:
    """A separator inside a code span, link or parenthesis does not end the term."""
    return (
        term.count("`") % 2 == 0
        and term.count("[") == term.count("]")
        and term.count("(") == term.count(")")
        and term.count("**") % 2 == 0
    )


# -- reading an item ------------------------------------------------------------------------------------


def read_item(
    content: str,
    *,
    has_children: bool,
    forced: bool = False,
    bold_is_plain: bool = False,
    first_child: str = "",
) -> Reading | None:
    """Read a list item's first paragraph (`content`, as written); see the module docstring.

    `bold_is_plain`: nearly every item of the document is bold, so bold on its own marks no term (a bold
    line with sub-bullets is then a heading-like bullet, not a term line). `first_child`: the first line
    of the item's first nested list item, if any.
    """
    heading_like = None
    if bold_is_plain and has_children and not forced:
        heading_like = _read_bold_term_line(content, first_child)
    reading = heading_like or _read_item(
        content, has_children=has_children, forced=forced, bold_is_plain=bold_is_plain
    )
    if reading is None:
        return None
    term_line = reading.reason is None and not reading.marked and not reading.back
    if term_line and _groups_other_items(first_child):
        return None  # `- Video Lectures` + links, `- Hashing` + definitions: a group, not a term
    if "**" in reading.front or "__" in reading.front or reading.front.count('"') % 2:
        return None  # markup or quotes that did not close (`__Found in __`, `"missens”`): no clean term
    if reading is not None and not reading.marked and not any(char.isalnum() for char in reading.front):
        return None  # `** ** - y`: no word to ask about
    return reading


# In notes written all in bold, a bold line over sub-bullets names a term when its first sub-bullet says
# something about it: in the labelled slides these explanations run 3 words or more, while 1-2 word
# sub-bullets are examples (`Nokta mutasyonları` + `missens mutasyonları`, `SNP`).
_MIN_EXPLAINING_WORDS = 3
# `Atopic persons (prone to allergic reactions)`: a gloss of two words or more after the name is part of
# the answer, unlike an abbreviation (`Persistent Volume Claims (PVC)`).
_GLOSS_AFTER_NAME = re.compile(r"\s*\((?:[^()\s]+\s+)+[^()\s]+\)$")


def _read_bold_term_line(content: str, first_child: str) -> Reading | None:
    """`__Incisional biopsy__` + `__A sample from the lesion is taken__`, where every line is bold.

    The bold says nothing there, so the line is judged as a plain term line: short, capitalised, no
    numbers, not a sentence; and its first sub-bullet must explain rather than name an example.
    """
    text = content[_skip_decoration(content) :].strip()
    span = leading_span(text)
    if span is None or span.kind != "strong" or span.end != len(text):
        return None
    front = _GLOSS_AFTER_NAME.sub("", span_text(span))
    if (
        (not front[:1].isupper() and front[:1] not in "\"'“")  # a capital, or a quoted name
        or term_rules.word_count(front) > _MAX_BARE_TERM_WORDS
        or any(char.isdigit() for char in front)
        or term_rules.term_rejection(front, marked="strong") is not None
        or term_rules.ends_in_lead_in(front.casefold().split())
    ):
        return None
    explanation = plain_text(first_child)
    if term_rules.word_count(explanation) < _MIN_EXPLAINING_WORDS:
        return None  # a name (`SNP`, `Konjenital sifiliz`): an example, not an explanation
    return Reading(front, "", None, "strong")


def _read_item(content: str, *, has_children: bool, forced: bool, bold_is_plain: bool) -> Reading | None:
    text = content[_skip_decoration(content) :]
    if not text or _TASK_BOX.match(text):
        return _forced(text, has_children) if forced else None
    span = leading_span(text) if text[0] in "*_`[" else None
    if span is not None and _bold_goes_on(span, text[span.end :]):
        return _forced(text, has_children) if forced else None
    if span is not None and _stands_apart(text[span.end :]):
        reading = _read_marked(text, span, has_children, bold_is_plain)
    elif not (has_children or forced) and _plain_prose(text):
        return None  # the common case, settled without reading further
    else:
        reading = (
            _read_article_sentence(text) or _read_defining_sentence(text) or _read_plain(text, has_children)
        )
    if forced and (reading is None or reading.reason is not None):
        return _forced(text, has_children, reading)
    return reading


# Anything in a first line that could make a plain item look like a definition: a separator character,
# bold, or non-ASCII text (full-width colons, Chinese defining verbs).
_MAYBE_DEFINITION = re.compile(r"[:=*_]|\s-|[^\x00-\x7f]")


def _plain_prose(text: str) -> bool:
    """An item with no separator, no bold and no defining verb on its first line: prose, quickly."""
    first_line = text.partition("\n")[0]
    return not _MAYBE_DEFINITION.search(first_line) and not _SENTENCE_HINT.search(first_line)


def _groups_other_items(first_child: str) -> bool:
    """Whether a term line's first sub-item is a link or a definition of its own (so the line groups)."""
    text = first_child[_skip_decoration(first_child) :]
    span = leading_span(text)
    if span is None:
        return False
    return span.kind in ("link", "wikilink") or bool(_SEPARATOR.match(text[span.end :]))


def _forced(text: str, has_children: bool, reading: Reading | None = None) -> Reading | None:
    """A writer's marker asked for a card: keep the term read, or take the whole first line as the front."""
    if reading is not None and reading.front and reading.reason != term_rules.EMPTY_DEFINITION:
        return Reading(reading.front, reading.back, None, reading.marked)
    first, _, rest = text.partition("\n")
    front = plain_text(first).rstrip(":：").strip()
    if not front:
        return None
    reason = None if rest.strip() or has_children else term_rules.EMPTY_DEFINITION
    return Reading(front, rest.strip(), reason)


def _judge(front: str, back: str, has_children: bool, marked: str, *, separated: bool = False) -> Reading:
    """The reading of `front` and `back`, with the first reason the rules give against it.

    `separated`: a separator stood between front and back, so an imperative back is advice about the
    front (`**Latency**: Choose a region close to users`) rather than a command defined by it.
    """
    reason = term_rules.term_rejection(front, marked=marked)
    if reason is None and separated and term_rules.is_advice(back, marked=bool(marked)):
        reason = term_rules.ADVICE
    if reason is None and not has_children:
        reason = term_rules.back_rejection(back, marked=bool(marked))
    elif reason is None and back and term_rules.says_see_elsewhere(back):
        reason = term_rules.POINTS_ELSEWHERE  # `same as above` + sub-bullets; a link + sub-bullets is fine
    return Reading(front, back, reason, marked)


def _bold_goes_on(span: Span, rest: str) -> bool:
    """`__T__  __H__  __1 cells produce...__`: bold broken into pieces (by an export), not a bold term."""
    return span.kind == "strong" and rest.lstrip(" \t").startswith(("**", "__"))


def _stands_apart(rest: str) -> bool:
    """A term glued to the next word (`**S3**'s`, `` `a`,`b` ``) is not a term."""
    return not rest or rest[0] in " \t\n" or bool(_SEPARATOR.match(rest)) or rest.startswith(_GLUED_DEFINING)


def _read_marked(text: str, span: Span, has_children: bool, bold_is_plain: bool = False) -> Reading | None:
    rest = text[span.end :]
    front = span_text(span)
    inner_separator = front.endswith((":", "："))
    if inner_separator:  # `**Term:** text`, also `**Term:** -> text`
        front = front.rstrip(":：").rstrip()
        doubled = _SEPARATOR.match(rest)
        if doubled is not None:
            rest = rest[doubled.end() :]
    qualified = False
    aside = ""
    qualifier = _QUALIFIER.match(rest)
    if qualifier is not None and _EXAMPLE_OPENER.match(qualifier.group(1)[1:]):
        # `**Provisioned resources** (e.g., IP address): ...`: examples belong to the answer, not the name.
        aside, rest = qualifier.group(1), rest[qualifier.end() :]
    elif qualifier is not None and term_rules.word_count(qualifier.group(1)[1:-1]) <= _MAX_QUALIFIER_WORDS:
        front = f"{front} {qualifier.group(1)}"
        rest = rest[qualifier.end() :]
        qualified = True
    separator = None if inner_separator else _SEPARATOR.match(rest)
    if separator is not None:
        symbol = separator.group(1) or separator.group(2)
        front, back = _after_separator(front, rest[separator.end() :], symbol)
        back = f"{aside} {back}".strip() if back else back
        return _judge(front, back, has_children, span.kind, separated=True)
    if inner_separator:
        return _judge(front, rest.strip(), has_children, span.kind, separated=True)
    if not rest.strip():
        if span.kind == "strong" and not has_children:
            pair = _pair_inside_bold(span.inner) or _gloss_inside_bold(span.inner)
            if pair is not None:
                return _judge(*pair, False, "strong")
        if span.kind in ("link", "wikilink") or (bold_is_plain and span.kind == "strong"):
            return None  # navigation (a link with sub-links), or bold that marks nothing
        return _judge(front, "", has_children, span.kind) if has_children else None
    return _run_on(front, rest, span.kind, qualified, has_children)


# Verbs with which a bold subject announces the list under it (`**Storage** offers ... tiers:`).
_LISTING_VERBS = frozenset(
    word_list("offers offer includes include provides provide supports support contains contain has have")
)


# After a bold word: one more word, maybe a parenthesis, then a colon ending the line.
_BOLD_THEN_WORD = re.compile(r"[ \t]+([^\W\d_][\w-]*)[ \t]*(\([^()\n]*\))?[ \t]*[:：][ \t]*")


def _copula_defines(words: list[str]) -> bool:
    """After `is`/`are`, a definition goes on with an article or `used` (`is a specification`)."""
    if not words or words[0].casefold() not in _COPULAS:
        return True
    following = words[1].split(None, 1)[0].casefold() if len(words) > 1 and words[1].strip() else ""
    return following in _AFTER_COPULA


def _run_on(front: str, rest: str, kind: str, qualified: bool, has_children: bool) -> Reading | None:
    """A marked term followed by running text without a separator."""
    words = rest.split(None, 1)
    first_word = words[0].casefold().strip(",.;") if words else ""
    defines = first_word in _DEFINING_VERBS or rest.startswith(_GLUED_DEFINING)
    if qualified or (defines and kind in ("strong", "link", "wikilink")):
        return _judge(front, rest.strip(), has_children, kind)
    if kind == "em" and defines:
        return _judge(front, rest.strip(), has_children, kind)  # `*Hashing* is used to map data...`
    if kind == "code" and defines and _copula_defines(words):
        # `` `appspec.yml` is a specification... ``; `` `images` are stored on... `` states a fact.
        return _judge(front, rest.strip(), has_children, kind)
    if kind != "strong":
        return None  # `*stress* at the start of a sentence`, a link inside a sentence
    if words and words[0].endswith(","):
        # `**Infrastructure** security, such as ...`: the bold qualifies the next word.
        return Reading(front, rest.strip(), term_rules.BOLD_IN_SENTENCE, kind)
    named = _BOLD_THEN_WORD.fullmatch(rest)
    if named is not None and has_children and named.group(1).casefold() not in _PHRASE_WORDS:
        # `**Serverless** services (Azure Functions):` + sub-bullets: the bold is half of the term line's
        # name; examples in parentheses are left to the answer.
        return _judge(f"{front} {named.group(1)}", (named.group(2) or "").strip(), has_children, kind)
    if first_word.endswith("ed") and first_word not in _DEFINING_VERBS:
        # `**Bursting** supported by Premium SSDs`: a participle makes the bold the subject of a remark.
        return Reading(front, rest.strip(), term_rules.BOLD_IN_SENTENCE, kind)
    if has_children and first_word in _LISTING_VERBS and rest.rstrip().endswith((":", "：")):
        # `**Storage** offers performance and access tiers:` + sub-bullets: leads into the list.
        return Reading(front, rest.strip(), term_rules.LEAD_IN, kind)
    if first_word in _PHRASE_WORDS and not any(
        word.casefold() in _DEFINING_VERBS for word in rest.split()[1:_DEFINING_VERB_REACH]
    ):
        # `**Cheaper storage** for rarely read data`: the bold is part of a phrase, not a name.
        return Reading(front, rest.strip(), term_rules.BOLD_IN_SENTENCE, kind)
    return _judge(front, rest.strip(), has_children, kind)


def _pair_inside_bold(inner: str) -> tuple[str, str] | None:
    """`**IaC = Infrastructure as Code**` -> ("IaC", "Infrastructure as Code")."""
    match = _PLAIN_SEPARATOR.search(inner)
    if match is None or not _balanced(inner[: match.start()]):
        return None
    front, back = plain_text(inner[: match.start()]), inner[match.end() :].strip()
    if not front or not back:
        return None
    return front, back


_GLOSS = re.compile(r"(.+?)[ \t]+\\?\((.+)\\?\)", re.DOTALL)


def _gloss_inside_bold(inner: str) -> tuple[str, str] | None:
    """`__rigors \\(shivering\\)__` -> ("rigors", "shivering"): a bold name glossed in parentheses."""
    match = _GLOSS.fullmatch(inner.strip())
    if match is None:
        return None
    front, back = plain_text(match.group(1)), match.group(2).strip().removesuffix("\\").strip()
    if not front or not back or back.isupper() or "," in back:
        return None  # `(ESR)` spells an abbreviation out, `(TNF, IL-1)` lists examples: neither explains
    if not _glossable_name(front):
        return None
    return front, back


def _glossable_name(front: str) -> bool:
    """A bold name before a gloss: one word, or a capitalised phrase of a few words without function words.

    In the labelled notes every glossed term is a single word (`rigors (shivering)`); the multi-word bold
    runs before a parenthesis are clauses (`form stacks (rouleaux)`, `inflammation of prolonged duration
    (weeks to years)`), lowercase and held together by function words.
    """
    words = front.split()
    if len(words) == 1:
        return True
    return (
        front[:1].isupper()
        and len(words) <= _MAX_BARE_TERM_WORDS
        and "," not in front
        and not any(word.casefold() in _PHRASE_WORDS for word in words)
    )


def _after_separator(front: str, rest: str, symbol: str) -> tuple[str, str]:
    """Front and back when an expansion follows the separator (`**ASG** - **Auto Scaling Groups** - ...`).

    * `X = **Name** (Q) - answer` -> front `X = Name (Q)`, back `answer`;
    * `**X** - **Expansion** - answer` -> back `**Expansion** — answer`;
    * `**X** - **Expansion**` (nothing after) -> back `**Expansion**`.
    Any other shape is kept as written.
    """
    back = rest.strip()
    expansion = leading_span(rest)
    if expansion is None or expansion.kind not in ("strong", "em", "code"):
        return front, back
    expanded, after = span_text(expansion), rest[expansion.end :]
    qualifier = _QUALIFIER.match(after)
    if qualifier is not None and not qualifier.group(0).startswith("("):
        expanded = f"{expanded} {qualifier.group(1)}"
        after = after[qualifier.end() :]
    expansion_markdown = rest[: len(rest) - len(after)].strip()
    second = _SEPARATOR.match(after)
    if second is None:
        return front, back
    answer = after[second.end() :].strip()
    if not answer:
        return front, expansion_markdown
    if symbol == "=":
        return f"{front} = {expanded}", answer
    second_symbol = second.group(1) or second.group(2) or ""
    if expansion.kind != "code" and _DASH.fullmatch(second_symbol):
        return front, f"{expansion_markdown} — {answer}"
    return front, back


def _read_article_sentence(text: str) -> Reading | None:
    """`A *Linked List* is a linear collection...`: the marked term after an article, then a defining verb."""
    article, _, after = text.partition(" ")
    if article.casefold() not in _ARTICLES:
        return None
    span = leading_span(after)
    if span is None or span.kind not in ("strong", "em"):
        return None
    words = after[span.end :].split(None, 1)
    if not words or words[0].casefold() not in _DEFINING_VERBS:
        return None
    return _judge(span_text(span), text.strip(), True, span.kind)


# `Symmetric encryption uses the same key...`, `A public subnet is a subnet...`: a short name, then a verb
# that says what it is or does. The name may not hold clause words, digits or punctuation.
_SENTENCE_VERBS = frozenset(
    word_list(
        "is are means refers stands represents denotes describes allows allow enables lets uses "
        "es son significa permite permiten est sont désigne permet ist sind bezeichnet"
    )
)
# After a copula, a definition goes on with an article or `used` (`is a technique`, `are used for`); an
# adjective or participle there states a fact (`is stopped`, `are local`).
_COPULAS = frozenset(word_list("is are es son est sont ist sind"))
_AFTER_COPULA = frozenset(word_list("a an the one used un una une el la le les los las ein eine der die das"))
_MAX_SENTENCE_TERM_WORDS = 4
# `allow for`, `allow to`: verbs of enabling take these; other prepositions after the verb (`Default allows
# on a per resource decision`) show the words before it are not a name doing something.
_OBJECT_PREPOSITIONS = frozenset(word_list("for to para pour"))
_CJK_DEFINING = re.compile(
    r"([^\W\d_][^，。：:；、（）()\s]{0,7}?(?:（[^（）]{1,20}）)?)，?(?:即是|就是|是指|是|指的是|用于|即|又称|能够|类似于)"
)
# A quick look for any word `_read_defining_sentence` could stop at, before splitting the line into words.
_SENTENCE_HINT = re.compile(
    r"\s(?:" + "|".join(sorted(_SENTENCE_VERBS | {"for", "para", "pour"})) + r")\s", re.IGNORECASE
)
# First characters of a Chinese clause rather than a name: modals, pronouns, conjunctions.
_CJK_CLAUSE_OPENERS = frozenset("只该这那它其若如但而也还都就可我你他她们每")
# `A trie, sometimes called a radix tree, is ...`: an aside between the name and its verb.
_NAME_ASIDE = re.compile(
    r",\s+(?:sometimes|also|often)\s+(?:called|known as|named)\s[^,]+,|,(?=\s+(?:is|are)\s)"
)


def _read_defining_sentence(text: str) -> Reading | None:
    """A defining sentence that opens with the name it defines (no separator, no markup on the name)."""
    first_line = text.partition("\n")[0]
    if first_line.isascii() and not _SENTENCE_HINT.search(first_line):
        return None  # most prose: none of the verbs that could follow a name
    words = _NAME_ASIDE.sub("", first_line, count=1).split()
    start = 1 if words and words[0].casefold() in _ARTICLES else 0
    for index in range(start + 1, min(len(words), start + _MAX_SENTENCE_TERM_WORDS + 1)):
        verb = words[index].casefold()
        following = words[index + 1].casefold() if index + 1 < len(words) else ""
        # `Azure portal for interacting with Azure...`: a name, then what it is for.
        purpose = verb in ("for", "para", "pour") and following.endswith(("ing", "ando", "iendo"))
        if verb not in _SENTENCE_VERBS and not purpose:
            continue
        if following == "also" and index + 2 < len(words):
            following = words[index + 2].casefold()
        if verb in _COPULAS and following not in _AFTER_COPULA:
            return None
        if verb not in _COPULAS and following in _PHRASE_WORDS - _ARTICLES - _OBJECT_PREPOSITIONS:
            return None  # `Default allows on a per resource decision`: not a name doing something
        term = " ".join(words[start:index])
        if start == 0 and not term[:1].isupper():
            return None
        if any(not char.isalnum() and char not in " -'/" for char in term):
            return None
        if term_rules.term_rejection(term) is not None:
            return None
        return Reading(term, text.strip(), None, "")
    match = _CJK_DEFINING.match(first_line)
    if match is not None and match.group(1)[0] in _CJK_CLAUSE_OPENERS or match and "的" in match.group(1):
        return None  # `只能是…` (can only be), `发送的信息就是…` (what is sent is): a clause, not a name
    if match is not None and any(term_rules.is_cjk(char) for char in match.group(1)):
        return Reading(match.group(1), text.strip(), None, "")
    return None


# `SQS`, `HTTP/2`, `IaC`: a single word with two capitals or more, no spaces.
_ABBREVIATION = re.compile(r"(?=(?:\S*[A-Z]){2})[A-Za-z][\w./+-]*")


def _read_plain(text: str, has_children: bool) -> Reading | None:
    """An unmarked term before the first separator of the first line, or a short term line with children."""
    first_line = text.partition("\n")[0]
    for match in _PLAIN_SEPARATOR.finditer(first_line):
        term = first_line[: match.start()]
        if not _balanced(term):
            continue
        front = plain_text(term)
        if not front:
            return None
        back = text[match.end() :].strip()
        if not back and has_children and not _ABBREVIATION.fullmatch(front):
            # `- Supported services:` + sub-bullets: in the labelled notes such a plain line almost always
            # leads into a list of examples or facts rather than naming a term. An abbreviation alone
            # (`- SQS:`) names one.
            return Reading(front, "", term_rules.LEAD_IN)
        if _is_variable(front) and match.group(0).strip() == "=":
            return Reading(front, back, term_rules.ASSIGNMENT)  # `V = 41 | 0 coins used`, `Assume V = 41`
        if term_rules.is_reference(front, back) and not has_children:
            return Reading(front, back, term_rules.NAME_LIST)  # `Cracking The Coding Interview - Gayle ...`
        reading = _judge(front, back, has_children, "", separated=True)
        return _blame_bold(reading, term)
    if not has_children:
        return _bold_inside(first_line)
    front = plain_text(first_line)
    # A lowercase start reads as the middle of a sentence (`supports`, `managed means`), a number as a fact.
    if (
        term_rules.word_count(front) <= _MAX_BARE_TERM_WORDS
        and not front[:1].islower()
        and not any(word.isdigit() for word in front.split())
        and not _BOLD.search(first_line)  # `Multi-attach feature of **io1**`: the bold names the term
        and not _remark_in_parentheses(front)
    ):
        reading = _judge(front, "", True, "")
        if reading.reason is None:
            return reading
    return _bold_inside(first_line)


_BOLD = re.compile(r"(\*\*|__)(?=\S).+?(?<=\S)\1")


def _remark_in_parentheses(front: str) -> bool:
    """`Marketplace (can include commercial software)`: the parenthesis is a clause, so the line a remark."""
    return any(
        word.strip(".,;") in term_rules.CLAUSE_WORDS
        for group in _PARENTHESES.findall(front)
        for word in group.casefold().split()
    )


_PARENTHESES = re.compile(r"\(([^()]*)\)")


def _is_variable(front: str) -> bool:
    """`V`, `Assume V`, `let x`: a single letter being given a value."""
    last = front.split()[-1] if front.split() else ""
    return len(last) == 1 and last.isalpha()


def _bold_inside(line: str) -> Reading | None:
    """A sentence with bold words in it: reported, since the writer may have meant a term."""
    match = _BOLD.search(line)
    if match is None or match.start() == 0:
        return None
    return Reading(plain_text(match.group(0)), "", term_rules.BOLD_IN_SENTENCE)


def _blame_bold(reading: Reading, term: str) -> Reading:
    """A plain term rejected as too long or a sentence, with bold inside: the bold is what to report."""
    blamed = reading.reason is not None and reading.reason.startswith(("term too long", "sentence"))
    if blamed and _BOLD.search(term):
        return Reading(reading.front, reading.back, term_rules.BOLD_IN_SENTENCE)
    return reading


def read_cell_term(cell: str) -> tuple[str, str]:
    """(plain text, markup kind) of a table cell holding a term."""
    text = cell.strip()
    span = leading_span(text)
    if span is not None and span.end == len(text):
        return span_text(span), span.kind
    return plain_text(text), ""
