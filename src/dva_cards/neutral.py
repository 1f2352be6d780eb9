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


def neutral_name(name: str) -> str:
    """A file, deck, section or setting name for one line of a terminal: every control character is U+FFFD."""
    return _NAME_CONTROLS.sub("\ufffd", name)
