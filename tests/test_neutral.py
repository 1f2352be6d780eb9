"""Control characters in notes: found in a file's bytes exactly where the decoded text has them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dva_cards.neutral import neutral_text, utf8_has_controls

# Text made mostly of what notes hold, with every kind of control character and multi-byte neighbours
# (U+0100 and up encode with lead bytes next to 0xC2, and continuation bytes 0x80-0x9F).
_TEXT = st.text(
    st.one_of(
        st.sampled_from("ab #*-\t\n\r\x0b\x0c\x00"),
        st.characters(max_codepoint=0xA0),
        st.characters(min_codepoint=0x100, max_codepoint=0x2FFF),
        st.characters(min_codepoint=0x1F300, max_codepoint=0x1F6FF),
    ),
    max_size=40,
)


@settings(max_examples=500)
@given(_TEXT)
def test_the_bytes_tell_whether_the_text_has_a_control_character(text: str) -> None:
    assert utf8_has_controls(text.encode("utf-8")) == (neutral_text(text) != text)


def test_each_control_character_is_found_and_nothing_else() -> None:
    controls = [chr(code) for code in [*range(0x01, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)]]
    for control in controls:
        assert utf8_has_controls(f"**S3** - {control}objects\n".encode())
    kept = "\x00\t\n\x0b\x0c\r Ā ÿ ā \u0180 \u2014 — 🙂 \xa0"
    assert not utf8_has_controls(kept.encode("utf-8"))
    assert neutral_text(kept) == kept


def test_notes_are_neutralised_whatever_their_encoding() -> None:
    from pathlib import Path

    from dva_cards.sources import decode_notes

    text = "* **S3** - objects\x07 \x9b[31m\n"
    expected = "* **S3** - objects\ufffd \ufffd[31m\n"
    assert decode_notes(text.encode("utf-8"), Path("n.md")) == expected
    assert decode_notes(b"\xef\xbb\xbf" + text.encode("utf-8"), Path("n.md")) == expected
    assert decode_notes(text.encode("utf-16"), Path("n.md")) == expected
    assert decode_notes("* **S3** - objects —\n".encode(), Path("n.md")) == "* **S3** - objects —\n"
