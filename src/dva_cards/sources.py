"""Finding and reading notes files: the I/O half of import, with every failure as one clear UserError."""

from __future__ import annotations

import codecs
import errno
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .neutral import neutral_text, utf8_has_controls

_BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class NotesFile:
    """A notes file found for an import. Its text is read when the import comes to it (`read_notes`)."""

    path: Path  # absolute, symlinks resolved
    directory: Path | None = None  # the directory given to find it (its deck's name), None for a file given
    size: int = 0  # bytes, when it was found


def find_notes(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """Each file as given (with None); each directory searched recursively for *.md (each file with the
    directory). Sorted within a directory; a file found twice is kept once, where it was first found."""
    found: dict[Path, Path | None] = {}
    for given in paths:
        resolved = _resolve(given)
        if resolved.is_dir():
            in_dir = sorted(_markdown_under(resolved))
            if not in_dir:
                raise UserError(f"no .md files in directory: {given}")
            for path in in_dir:
                found.setdefault(path, resolved)
        elif resolved.is_file():
            found.setdefault(resolved, None)
        else:
            raise UserError(f"not a regular file or directory: {given}")
    return list(found.items())


def read_notes(path: Path) -> bytes:
    """A notes file's bytes, refused (one clear error) unless it can be read and is text."""
    data = read_bytes(path)
    _decoded(data, path)
    return data


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied") from None
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror or error}") from None


def decode_notes(data: bytes, path: Path) -> str:
    """UTF-8 (BOM optional); UTF-16 only when it says so with a BOM. Anything else is refused."""
    text = _decoded(data, path)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    # A UTF-8 file is looked at in its bytes first: nearly every one holds no control character to replace.
    return neutral_text(text) if utf16 or utf8_has_controls(data) else text


def _decoded(data: bytes, path: Path) -> str:
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        raise UserError(f"{path} is UTF-32 text: save it as UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise UserError(f"{path} starts with a UTF-16 mark but is not valid UTF-16") from None
        if "\x00" in text:
            raise UserError(f"{path} contains NUL characters: not a text file")
        return text
    if b"\x00" in data[:_BINARY_SNIFF_BYTES]:
        raise UserError(f"{path} is a binary file, not markdown notes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UserError(f"{path} is not valid UTF-8 (line {line}, byte {error.start})") from None
    if "\x00" in text:
        raise UserError(f"{path} contains NUL bytes: not a text file")
    return text


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
    """Every visible *.md file under `directory`, symlinked folders followed, nothing skipped in silence.

    A walk with an explicit stack (a tree a thousand levels deep is no recursion limit); each folder is
    entered once by its real path, so a symlink loop ends. A folder or link that cannot be read is an error:
    an import that quietly left part of the notes out would retire their cards.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    stack = [directory]
    while stack:
        current = stack.pop()
        real = current.resolve()
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(current), key=lambda entry: entry.name)
        except OSError as error:
            raise UserError(
                f"cannot read directory {current}: {(error.strerror or str(error)).lower()}"
            ) from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows a symlink
                is_file = not is_dir and entry.is_file()
            except OSError as error:
                raise UserError(f"cannot read {path}: {(error.strerror or str(error)).lower()}") from None
            if is_dir:
                stack.append(path)
            elif entry.name.lower().endswith(".md"):
                if not is_file:
                    what = (
                        "a broken link" if entry.is_symlink() and not path.exists() else "not a regular file"
                    )
                    raise UserError(f"{path} is {what}")
                found.append(path.resolve())
    return found
