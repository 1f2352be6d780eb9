"""Text from outside (notes, file names, deck and section names) made safe to print on a terminal. Pure.

An escape sequence in a note or a file name (pasted coloured output, or a hostile file) would reach the learner's
terminal raw through every screen that shows it: clear the screen, set the title, rewrite what is shown. Every
control character becomes U+FFFD, as markdown does with NUL; tab and line breaks stay.
"""

from __future__ import annotations

import re

# C0 controls but tab, LF, VT, FF, CR; DEL; C1 controls (U+009B is a one-character CSI on some terminals).
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")
# A name is printed on one line: line breaks and tabs in it go too.
_NAME_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def neutral_text(text: str) -> str:
    """Note text for a terminal: control characters become U+FFFD, line structure stays."""
    return _CONTROL_CHARACTERS.sub("\ufffd", text)


# Every byte but the C0 controls `_CONTROL_CHARACTERS` replaces (NUL, tab and line breaks stay), and the
# UTF-8 form of a C1 control (U+0080-U+009F).
_NOT_CONTROL_BYTES = bytes(
    byte for byte in range(256) if not (0x01 <= byte <= 0x08 or 0x0E <= byte <= 0x1F or byte == 0x7F)
)
_C1_IN_UTF8 = re.compile(b"\xc2[\x80-\x9f]")


def utf8_has_controls(data: bytes) -> bool:
    """Whether UTF-8 `data` holds a character `neutral_text` would replace. A notes file is checked this way
    before it is decoded: deleting bytes and searching for one lead byte run several times faster than the
    character class over the decoded text, and a file without controls (nearly every one) is left as is."""
    return bool(data.translate(None, _NOT_CONTROL_BYTES)) or bool(_C1_IN_UTF8.search(data))


def neutral_name(name: str) -> str:
    """A file, deck, section or setting name for one line of a terminal: every control character is U+FFFD."""
    return _NAME_CONTROLS.sub("\ufffd", name)
