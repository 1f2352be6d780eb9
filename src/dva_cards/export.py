"""`dva-cards export`: cards -> an Anki package (.apkg) or Anki's text-import format (tab-separated).

The notes are built from card values by pure functions (`anki_notes`, `build_package`, `text_export`); only
`write_apkg`/`write_text` (and `export_cards`, which ties everything together) touch the file system, and they
write through a temporary file in the target directory that replaces the target only once it is complete.

Identity: a note's GUID comes from the dva-cards card id, and the note type and deck ids from their names, so
exporting again after editing the notes updates the notes already in Anki instead of adding copies.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import itertools
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .domain import CardRow
from .errors import UserError
from .identity import CONTEXT_SEPARATOR, context_parts

if TYPE_CHECKING:
    import genanki  # type: ignore[import-untyped]

FORMATS = ("apkg", "csv")
_EXTENSION_FORMATS = {".apkg": "apkg", ".txt": "csv", ".tsv": "csv", ".csv": "csv"}

NOTETYPE_NAME = "dva-cards"
# Capitalised like Anki's own note types: when a text import cannot find the "dva-cards" note type, Anki's
# Basic type still maps Front and Back by name.
FIELDS = ("Front", "Back", "Context", "Source")
SUSPENDED_TAG = "dva-cards::suspended"
LEECH_TAG = "dva-cards::leech"

# Changing the templates or CSS needs no new id: Anki updates a note type whose package copy is newer.
_NOTETYPE_KEY = "dva-cards note type"
_FRONT_TEMPLATE = """\
{{#Context}}<div class="context">{{Context}}</div>{{/Context}}
<div class="front">{{Front}}</div>"""
_BACK_TEMPLATE = """\
{{FrontSide}}
<hr id="answer">
<div class="back">{{Back}}</div>
{{#Source}}<div class="source">{{Source}}</div>{{/Source}}"""
_CSS = """\
.card {
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 20px;
  line-height: 1.45;
  text-align: left;
  max-width: 42em;
  margin: 0 auto;
  padding: 0 0.5em;
}
.context { font-size: 0.7em; opacity: 0.65; margin-bottom: 0.4em; }
.front { font-size: 1.25em; font-weight: 600; }
.back p:first-child { margin-top: 0; }
.back ul, .back ol { padding-left: 1.3em; }
.back code { font-size: 0.9em; padding: 0 0.2em; border-radius: 3px; background: rgba(127, 127, 127, 0.15); }
.back pre { overflow-x: auto; padding: 0.5em; background: rgba(127, 127, 127, 0.12); }
.back pre code { background: none; padding: 0; }
.back table { border-collapse: collapse; }
.back th, .back td { border: 1px solid rgba(127, 127, 127, 0.5); padding: 0.2em 0.5em; }
.source { margin-top: 1.2em; font-size: 0.6em; opacity: 0.5; }
"""


@dataclass(frozen=True)
class AnkiNote:
    """One card as Anki will hold it: HTML fields in FIELDS order, a deck path and tags."""

    guid: str
    deck: str  # Anki deck name, `::`-separated: the dva-cards deck, then the card's top-level section
    fields: tuple[str, str, str, str]
    tags: tuple[str, ...]
    suspended: bool


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    format: str
    notes: int
    suspended: int
    decks: tuple[str, ...]


# -- choosing the format -------------------------------------------------------------------------------------


def format_for(path: Path, requested: str | None = None) -> str:
    """`requested` (apkg|csv, any case) if given, else the format the file name's extension implies."""
    if requested is not None:
        chosen = requested.strip().lower()
        if chosen not in FORMATS:
            raise UserError(f"unknown export format {requested!r} (formats: {', '.join(FORMATS)})")
        return chosen
    found = _EXTENSION_FORMATS.get(path.suffix.lower())
    if found is None:
        raise UserError(
            f"cannot tell the export format from {path.name!r}: name it .apkg, .txt, .tsv or .csv, "
            "or pass --format apkg|csv"
        )
    return found


# -- cards -> notes (pure) -----------------------------------------------------------------------------------


def anki_notes(cards: Iterable[CardRow]) -> list[AnkiNote]:
    """The notes for these cards, in the same order. Retired cards are left out; suspended ones are kept."""
    return [anki_note(card) for card in cards if not card.retired]


def anki_note(card: CardRow) -> AnkiNote:
    parts = context_parts(card.context)
    tags: list[str] = []
    context_tag = anki_tag(parts)
    if context_tag:
        tags.append(context_tag)
    if card.suspended:
        tags.append(SUSPENDED_TAG)
    if card.leech:
        tags.append(LEECH_TAG)
    fields = (
        html.escape(card.front),
        render_back(card.back),
        html.escape(CONTEXT_SEPARATOR.join(parts)),
        html.escape(source_label(card.source, card.line)),
    )
    return AnkiNote(
        guid=note_guid(card.id),
        deck=anki_deck_name(card.deck, parts),
        fields=fields,
        tags=tuple(tags),
        suspended=card.suspended,
    )


def note_guid(card_id: str) -> str:
    """Anki's note GUID for a card: fixed for the card's lifetime, in genanki's own scheme."""
    from genanki import guid_for

    guid: str = guid_for("dva-cards", card_id)
    return guid


def stable_id(name: str) -> int:
    """A note type or deck id derived from a name: the same in every export, in genanki's advised range."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return (1 << 30) + int.from_bytes(digest, "big") % (1 << 30)


def anki_deck_name(deck: str, parts: Sequence[str]) -> str:
    """`aws-dva::EC2`: the dva-cards deck, then the top-level section (the first part of the context)."""
    root = _deck_component(deck) or NOTETYPE_NAME
    section = _deck_component(parts[0]) if parts else ""
    return f"{root}::{section}" if section else root


def anki_tag(parts: Sequence[str]) -> str:
    """`EC2::EC2_Purchasing_Options`: the context path as one hierarchical tag ('' for no context)."""
    return "::".join(component for component in (_tag_component(part) for part in parts) if component)


def source_label(source: str, line: int) -> str:
    """`aws-dva.md:249`: the notes file by name (no home directory path in a shared deck) and the line."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name}:{line}" if name else ""


def _deck_component(text: str) -> str:
    # `::` would add a level to the hierarchy; Anki trims whitespace around components itself.
    return re.sub(r":{2,}", ":", " ".join(text.split()))


def _tag_component(text: str) -> str:
    # Anki splits tags on whitespace; `::` is its hierarchy separator; no component starts or ends in `:`.
    return re.sub(r":{2,}", ":", "_".join(text.split())).strip(":")


# -- markdown -> HTML ----------------------------------------------------------------------------------------


@cache
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # html off: `<script>` in a note is text, escaped, never markup that runs in Anki.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


_PRE_BLOCK = re.compile(r"(<pre\b[^>]*>.*?</pre>)", re.DOTALL)
_BLOCK_TAG = re.compile(
    r"\s*(</?(?:p|ul|ol|li|h[1-6]|blockquote|table|thead|tbody|tr|th|td|hr|pre|div)\b[^>]*>)\s*"
)


def render_back(markdown: str) -> str:
    """The card's markdown as one line of HTML: no tab or line break, so a text export needs no quoting.

    Outside `<pre>`, whitespace runs collapse to one space (HTML shows them that way anyway) and disappear
    around block tags; inside `<pre>`, line breaks become `<br>` and tabs `&#9;`, so code keeps its shape.
    """
    rendered: str = _markdown().render(markdown)
    pieces = []
    for index, piece in enumerate(_PRE_BLOCK.split(rendered)):
        if index % 2:  # a <pre> block
            piece = piece.replace("\n</code></pre>", "</code></pre>")
            pieces.append(piece.replace("\r", "").replace("\n", "<br>").replace("\t", "&#9;"))
        else:
            pieces.append(re.sub(r"\s+", " ", piece))
    return _BLOCK_TAG.sub(r"\1", "".join(pieces)).strip()


# -- notes -> Anki package -----------------------------------------------------------------------------------


def note_type() -> genanki.Model:
    import genanki

    return genanki.Model(
        stable_id(_NOTETYPE_KEY),
        NOTETYPE_NAME,
        fields=[{"name": name} for name in FIELDS],
        templates=[{"name": "Card 1", "qfmt": _FRONT_TEMPLATE, "afmt": _BACK_TEMPLATE}],
        css=_CSS,
        sort_field_index=0,
    )


def build_package(notes: Sequence[AnkiNote]) -> genanki.Package:
    """One genanki deck per Anki deck name, parents included: the hierarchy never depends on the importer."""
    import genanki

    model = note_type()
    decks: dict[str, genanki.Deck] = {}

    def deck_for(name: str) -> genanki.Deck:
        components = name.split("::")
        for depth in range(1, len(components) + 1):
            path = "::".join(components[:depth])
            if path not in decks:
                decks[path] = genanki.Deck(stable_id("deck\x1f" + path), path)
        return decks[name]

    for position, note in enumerate(notes):
        made = genanki.Note(model=model, fields=list(note.fields), tags=list(note.tags), guid=note.guid)
        made.due = position  # new cards come in the order of the notes
        if note.suspended:
            for card in made.cards:
                card.suspend = True  # queue -1; Anki keeps it when the import includes scheduling
        deck_for(note.deck).add_note(made)
    for deck in decks.values():
        deck.add_model(model)
    return genanki.Package(list(decks.values()))


# -- notes -> Anki text import -------------------------------------------------------------------------------

# Columns in the order of Anki's own "Notes in Plain Text" export: guid, deck, the fields, tags.
TEXT_COLUMNS = ("guid", "deck", *FIELDS, "tags")


def text_export(notes: Sequence[AnkiNote]) -> str:
    """Anki's text-import format: header lines that map every column, then one tab-separated line per note."""
    column = {name: TEXT_COLUMNS.index(name) + 1 for name in TEXT_COLUMNS}
    lines = [
        "#separator:tab",
        "#html:true",
        f"#notetype:{NOTETYPE_NAME}",
        "#columns:" + "\t".join(TEXT_COLUMNS),
        f"#guid column:{column['guid']}",
        f"#deck column:{column['deck']}",
        f"#tags column:{column['tags']}",
    ]
    for note in notes:
        values = (note.guid, note.deck, *note.fields, " ".join(note.tags))
        lines.append("\t".join(_text_field(value) for value in values))
    return "\n".join(lines) + "\n"


def _text_field(value: str) -> str:
    """Anki reads the file as CSV: a field holding a tab, a line break or a quote is quoted (quotes doubled),
    and so is one starting with `#`, which at the start of a line would make the line a comment."""
    if value.startswith("#") or any(char in value for char in '\t\n\r"'):
        return '"' + value.replace('"', '""') + '"'
    return value


# -- writing -------------------------------------------------------------------------------------------------


def export_cards(
    cards: Iterable[CardRow], path: Path, fmt: str, *, timestamp: float, deck: str | None = None
) -> ExportSummary:
    """Write the cards to `path` in `fmt` ('apkg' or 'csv'). Nothing is written when nothing is selected.

    `timestamp` (seconds since the epoch) becomes the notes' modification time: Anki updates a note from a
    package only when the package's copy is newer, so each export should pass the current time.
    """
    if fmt not in FORMATS:
        raise UserError(f"unknown export format {fmt!r} (formats: {', '.join(FORMATS)})")
    notes = anki_notes(cards)
    if not notes:
        where = f"deck {deck!r} has" if deck is not None else "the collection has"
        raise UserError(f"nothing to export: {where} no cards (retired cards are not exported)")
    if fmt == "apkg":
        write_apkg(build_package(notes), path, timestamp=timestamp)
    else:
        write_text(text_export(notes), path)
    return ExportSummary(
        path=path,
        format=fmt,
        notes=len(notes),
        suspended=sum(note.suspended for note in notes),
        decks=tuple(sorted({note.deck for note in notes})),
    )


def write_apkg(package: genanki.Package, path: Path, *, timestamp: float) -> None:
    """The package as a .apkg file (a zip holding collection.anki2), atomically."""

    def write(handle: IO[bytes]) -> None:
        with tempfile.TemporaryDirectory(prefix="dva-cards-export-") as scratch:
            database = Path(scratch) / "collection.anki2"
            connection = sqlite3.connect(database)
            try:
                package.write_to_db(connection.cursor(), timestamp, itertools.count(int(timestamp * 1000)))
                connection.commit()
            finally:
                connection.close()
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.write(database, "collection.anki2")
                archive.writestr("media", "{}")

    atomic_write(path, write)


def write_text(text: str, path: Path) -> None:
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write(path: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through a temporary file in the target's directory, then rename it over the target.

    A failure at any point (including Ctrl-C) leaves the target as it was and no temporary file behind.
    Only a regular file, or nothing, is ever replaced: a symlink is followed and the file it points to is
    written (the link stays); a directory, device or FIFO is refused.
    """
    path = path.expanduser()
    kind = _not_regular(path)  # through every link, `/dev/stdout` and the like included
    if kind is not None:
        raise UserError(f"cannot write {path}: it is {kind}, not a regular file")
    path = Path(os.path.realpath(path))
    directory = path.parent
    if not directory.is_dir():
        problem = "is not a directory" if directory.exists() else "does not exist"
        raise UserError(f"cannot write {path}: {directory} {problem}")
    if path.exists() and not os.access(path, os.W_OK):
        raise UserError(f"cannot write {path}: the file is read-only")
    mode = _file_mode(path)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise UserError(f"cannot write {path}: {_reason(error)}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise UserError(f"cannot write {path}: {_reason(error)}") from None
        raise


def _not_regular(path: Path) -> str | None:
    """What is at `path` when it is something other than a regular file (None: a regular file or nothing)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _file_mode(path: Path) -> int:
    """The target's permissions if it exists, else a new file's under the umask (not mkstemp's 0600)."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _reason(error: OSError) -> str:
    return (error.strerror or str(error)).lower()
