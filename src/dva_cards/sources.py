"""Finding and reading notes files: the I/O half of import, with every failure as one clear UserError."""

from __future__ import annotations

import codecs
import errno
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

_BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class NotesFile:
    path: Path  # absolute, symlinks resolved
    data: bytes  # exactly as read: hashed to skip unchanged files
    text: str


def find_notes(paths: list[Path]) -> list[Path]:
    """Each file as given; each directory searched recursively for *.md. Sorted, no duplicates."""
    found: dict[Path, None] = {}
    for given in paths:
        resolved = _resolve(given)
        if resolved.is_dir():
            in_dir = sorted(_markdown_under(resolved))
            if not in_dir:
                raise UserError(f"no .md files in directory: {given}")
            found.update(dict.fromkeys(in_dir))
        elif resolved.is_file():
            found[resolved] = None
        else:
            raise UserError(f"not a regular file or directory: {given}")
    return list(found)


def read_notes(path: Path) -> NotesFile:
    try:
        data = path.read_bytes()
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None
    return NotesFile(path=path, data=data, text=decode_notes(data, path))


def decode_notes(data: bytes, path: Path) -> str:
    """UTF-8 (BOM optional); UTF-16 only when it says so with a BOM. Anything else is refused."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        raise UserError(f"{path} is UTF-32 text: save it as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UserError(f"{path} starts with a UTF-16 mark but is not valid UTF-16") from None
        if "\x00" in text:
            raise UserError(f"{path} contains NUL characters: not a text file")
        return _without_control_characters(text)
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        raise UserError(f"{path} is a binary file, not markdown notes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UserError(f"{path} is not valid UTF-8 (line {line}, byte {error.start})") from None
    if "\x00" in text:
        raise UserError(f"{path} contains NUL bytes: not a text file")
    return _without_control_characters(text)


# C0 controls but tab, LF, VT, FF, CR; DEL; C1 controls (U+009B is a one-character CSI on some terminals).
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")


def _without_control_characters(text: str) -> str:
    """Escape sequences in notes (pasted colored output, or a hostile file) would reach the learner's terminal
    raw through every screen that shows a card: each control character becomes U+FFFD, as markdown does NUL."""
    return _CONTROL_CHARACTERS.sub("\ufffd", text)


def _resolve(given: Path) -> Path:
    try:
        resolved = given.expanduser().resolve(strict=True)
    except FileNotFoundError:
        raise UserError(f"no such file or directory: {given}") from None
    except RuntimeError:  # symlink loop on Python 3.11 and 3.12
        raise UserError(f"symlink loop at {given}") from None
    except OSError as error:
        if error.errno == errno.ELOOP:  # symlink loop from Python 3.13 on
            raise UserError(f"symlink loop at {given}") from None
        raise UserError(f"cannot open {given}: {error.strerror or error}") from None
    return resolved


def _markdown_under(directory: Path) -> list[Path]:
    # os.walk without followlinks: a symlinked directory loop cannot make the walk endless.
    found: list[Path] = []
    for root, dirs, files in os.walk(directory, onerror=None):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.lower().endswith(".md") and not name.startswith("."):
                candidate = Path(root) / name
                if candidate.is_file():
                    found.append(candidate.resolve())
    return found
