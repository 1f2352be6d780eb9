"""The full-screen review driven in a pseudo-terminal at 80×24 and 120×40, read back through a terminal
emulator (pexpect's ANSI screen): what a learner would actually see on the screen at each step."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dva_cards.terminal_screen import ENTER_ALTERNATE, LEAVE_ALTERNATE
from tests.helpers import run_json, write

pexpect = pytest.importorskip("pexpect")
termios = pytest.importorskip("termios")
ANSI = pytest.importorskip("pexpect.ANSI")

SIZES = [(80, 24), (120, 40)]
NESTED = """# Global
* **Regions**
    * **Compliance** - data governance and legal requirements
    * **Proximity** - closer to customers
"""
LONG_ANSWER = "# Big\n* **Long** - the first line\n" + "".join(
    f"    * line {number:02d} of a long answer\n" for number in range(1, 61)
)
LONG_CONTEXT = (
    "# " + " ".join(["Deeply"] * 28) + "\n## " + " ".join(["Nested"] * 10) + "\n* **Term** - short\n"
)


class Screen:
    """A review running in a pty, with the screen a terminal would show."""

    def __init__(self, child: Any, width: int, height: int) -> None:
        self.child = child
        self.term = ANSI.ANSI(height, width)
        self.raw = ""

    def pump(self) -> None:
        while True:
            try:
                data = self.child.read_nonblocking(65536, timeout=0.1)
            except (pexpect.TIMEOUT, pexpect.EOF):
                return
            self.raw += data
            self.term.write(data)

    def lines(self) -> list[str]:
        return [line.rstrip() for line in str(self.term).splitlines()]

    def text(self) -> str:
        return "\n".join(self.lines())

    def wait_for(self, *wanted: str, timeout: float = 30) -> str:
        """The screen once every text in ``wanted`` is on it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if all(each in self.text() for each in wanted):
                return self.text()
        raise AssertionError(f"{wanted!r} never showed; the screen:\n{self.text()}")

    def plain_output(self) -> str:
        """Everything written, without the escape sequences."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", self.raw)

    def press(self, key: str, *then: str) -> str:
        self.child.send(key)
        return self.wait_for(*then)


@pytest.fixture
def review_in(tmp_path: Path, db_path: Path, isolated_home: Path) -> Iterator[Callable[..., Screen]]:
    children: list[Any] = []

    def start(notes: str, width: int, height: int) -> Screen:
        path = write(tmp_path / "notes" / "deck.md", notes)
        run_json("import", str(path), "--deck", "deck")
        env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
        env.update(DVA_CARDS_DB=str(db_path), HOME=str(isolated_home), TERM="xterm", NO_COLOR="1")
        child = pexpect.spawn(
            sys.executable, ["-m", "dva_cards", "review"], env=env, dimensions=(height, width),
            encoding="utf-8", timeout=30,
        )  # fmt: skip
        children.append(child)
        return Screen(child, width, height)

    yield start
    for child in children:
        if child.isalive():
            child.terminate(force=True)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_an_answer_never_shares_the_screen_with_the_next_card(review_in, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    screen = review_in(NESTED, width, height)
    screen.wait_for("Regions")
    shown = screen.press(" ", "data governance", "0-5 grade")  # Regions' answer holds Compliance's
    assert "0 blackout · 1 wrong · 2 almost" in shown
    screen.child.send("4")
    # Compliance's screen: its header holds its context; the hint line is drawn last.
    question = screen.wait_for("deck › Global › Regions", "space show the answer")
    assert "Compliance" in question
    assert "data governance" not in question
    assert "4: next in 1d" in question  # what the grade did, on the next card's screen
    assert "space show the answer" in question
    assert "0 blackout" not in question  # the grade row only after the reveal
    revealed = screen.press(" ", "data governance", "0-5 grade")
    assert "0-5 grade" in revealed
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)


def test_a_hint_about_one_card_does_not_follow_to_the_next(review_in) -> None:  # type: ignore[no-untyped-def]
    """A grade before the answer is shown gets a hint; suspending the card then shows the next card with what
    the suspension did, and the hint gone."""
    screen = review_in(NESTED, 80, 24)
    screen.wait_for("Regions")
    screen.press("4", "Show the answer first")
    following = screen.press("s", "Suspended (u undoes)")
    assert "Compliance" in following
    assert "Show the answer first" not in following
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_60_line_answer_keeps_the_front_and_header_on_screen(review_in, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    screen = review_in(LONG_ANSWER, width, height)
    screen.wait_for("Long")
    shown = screen.press(" ", "line 01 of a long answer", "0-5 grade")
    lines = screen.lines()
    assert lines[0].startswith("deck › Big") and lines[0].endswith("1 new · 0 review · 0 drill")
    assert lines[2] == "Long"
    assert "line 60" not in shown
    assert any(line.startswith("↓ ") and "more lines" in line for line in lines)
    for _ in range(10):  # page down to the end
        screen.child.send(" ")
    end = screen.wait_for("line 60 of a long answer", "0-5 grade")
    lines = screen.lines()
    assert lines[0].startswith("deck › Big") and lines[2] == "Long"
    assert "line 01 of" not in end and any("↑ " in line and "above" in line for line in lines)
    screen.child.send("k")  # back up one line: still paged, still pinned
    screen.wait_for("more line", "0-5 grade")
    assert screen.lines()[2] == "Long"
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_200_character_context_keeps_the_counters_on_the_header_line(
    review_in, width: int, height: int
) -> None:  # type: ignore[no-untyped-def]
    screen = review_in(LONG_CONTEXT, width, height)
    screen.wait_for("Term", "space show the answer")
    header = screen.lines()[0]
    assert header.startswith("…") and header.endswith("1 new · 0 review · 0 drill")
    assert len(header) == width and "Nested" in header  # the end of the context is what is kept
    assert screen.lines()[1] == "─" * width
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)


def _terminal_restored(screen: Screen) -> None:
    screen.pump()
    assert screen.raw.count(ENTER_ALTERNATE) == 1
    assert screen.raw.rindex(LEAVE_ALTERNATE) > screen.raw.rindex(ENTER_ALTERNATE)
    # The summary is printed after the alternate screen is left: it stays on the normal screen.
    assert screen.raw.index("Reviewed ", screen.raw.rindex(LEAVE_ALTERNATE)) > 0
    mode = termios.tcgetattr(screen.child.child_fd)
    assert mode[3] & termios.ECHO and mode[3] & termios.ICANON


def test_quit_leaves_the_alternate_screen_and_restores_the_terminal(review_in) -> None:  # type: ignore[no-untyped-def]
    screen = review_in(NESTED, 80, 24)
    screen.wait_for("Regions")
    screen.press(" ", "data governance", "0-5 grade")
    screen.child.send("4")
    screen.wait_for("Compliance")
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)
    screen.raw += screen.child.before or ""
    _terminal_restored(screen)
    assert "Reviewed 1 · correct 100%" in screen.plain_output()
    screen.child.close()
    assert screen.child.exitstatus == 0


def test_sigterm_leaves_the_alternate_screen_and_restores_the_terminal(review_in) -> None:  # type: ignore[no-untyped-def]
    screen = review_in(NESTED, 80, 24)
    screen.wait_for("Regions")
    os.kill(screen.child.pid, signal.SIGTERM)
    screen.child.expect(pexpect.EOF)
    screen.raw += screen.child.before or ""
    _terminal_restored(screen)
    screen.child.close()
    assert screen.child.exitstatus == 128 + signal.SIGTERM


def test_a_terminal_too_small_says_so(review_in) -> None:  # type: ignore[no-untyped-def]
    screen = review_in(NESTED, 30, 8)
    text = screen.wait_for("too small")
    assert "Regions" not in text
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)


def test_ctrl_z_gives_the_terminal_back_then_redraws(review_in) -> None:  # type: ignore[no-untyped-def]
    # Spawned as its own session, the review's process group is orphaned: the kernel discards the stop, as
    # under a shell without job control, so the session must come straight back and redraw.
    screen = review_in(NESTED, 80, 24)
    screen.wait_for("Regions", "space show the answer")
    before = len(screen.raw)
    screen.child.sendcontrol("z")
    deadline = time.monotonic() + 30
    while screen.raw.count(ENTER_ALTERNATE) < 2 and time.monotonic() < deadline:
        screen.pump()
    after = screen.raw[before:]
    assert LEAVE_ALTERNATE in after and after.index(LEAVE_ALTERNATE) < after.index(ENTER_ALTERNATE)
    screen.wait_for("Regions", "space show the answer")
    screen.press(" ", "data governance", "0-5 grade")  # single keys again: cbreak is back
    screen.child.send("q")
    screen.child.expect(pexpect.EOF)
    screen.child.close()
    assert screen.child.exitstatus == 0


def test_first_run_says_on_the_screen_that_the_bundled_deck_was_imported(
    db_path: Path, isolated_home: Path
) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    env.update(DVA_CARDS_DB=str(db_path), HOME=str(isolated_home), TERM="xterm", NO_COLOR="1")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "dva_cards", "review"],
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        timeout=60,
    )
    try:
        screen = Screen(child, 80, 24)
        text = screen.wait_for("space show the answer", timeout=60)
        assert "Imported the bundled deck aws-dva" in text
        child.send("q")
        child.expect(pexpect.EOF)
    finally:
        if child.isalive():
            child.terminate(force=True)
