"""Note markdown as plain text, for one-line listings (`cards`): the words, without the markup. Pure.

Inline markup only: emphasis and strong markers, code spans, links and images (their text), autolinks,
backslash escapes; a list line's bullet becomes `•`. The words themselves are never changed.
"""

from __future__ import annotations

import re

_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_BULLET = re.compile(r"^(\s*)(?:[*+-]|\d{1,9}[.)])\s+")


def strip_markdown(text: str) -> str:
    """``text`` with its inline markdown removed, line by line."""
    return "\n".join(_strip_line(line) for line in text.splitlines())


def first_line_plain(text: str) -> str:
    """The first non-blank line of a markdown answer as plain text, `…` when more lines follow."""
    lines = [line for line in strip_markdown(text.strip()).splitlines() if line.strip()]
    if not lines:
        return ""
    return lines[0].strip() + (" …" if len(lines) > 1 else "")


def _strip_line(line: str) -> str:
    codes: list[str] = []

    def keep_code(match: re.Match[str]) -> str:
        codes.append(match.group(2).strip())
        return f"\x00{len(codes) - 1}\x00"

    def keep_escaped(match: re.Match[str]) -> str:
        codes.append(match.group(1))
        return f"\x00{len(codes) - 1}\x00"

    line = _CODE_SPAN.sub(keep_code, line)  # code spans keep their text as is, stars and all
    line = _ESCAPE.sub(keep_escaped, line)  # so does an escaped character
    line = _BULLET.sub(r"\1• ", line)
    line = _IMAGE_OR_LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    for _ in range(3):  # nested emphasis: ***both***, **bold _and italic_**
        line = _STRONG.sub(r"\2", line)
        line = _EMPHASIS.sub(r"\2", line)
    return re.sub("\x00(\\d+)\x00", lambda match: codes[int(match.group(1))], line)
