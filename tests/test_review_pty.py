"""`dva-cards review` in a real pseudo-terminal (pexpect): single keys, undo, suspend, quit, Ctrl-C, kill -9.

Also the key readers themselves, on a pty pair: cbreak mode on, and always the previous mode back.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dva_cards.keys import ESCAPE, PAGE_DOWN, REVEAL, UP, LineKeys, TerminalKeys, open_keys
from tests.helpers import run_json, write
from tests.review_fixtures import NOTES, review_rows

pexpect = pytest.importorskip("pexpect")
termios = pytest.importorskip("termios")

PROMPT = "space show the answer"


@pytest.fixture
def collection(tmp_path: Path, db_path: Path) -> Path:
    notes = write(tmp_path / "notes" / "aws.md", NOTES)
    assert run_json("import", str(notes), "--deck", "aws")["added"] == 6
    return db_path


@pytest.fixture
def spawn(collection: Path, isolated_home: Path) -> Iterator[object]:
    children: list[object] = []

    def start(*args: str) -> object:
        env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
        env.update(
            DVA_CARDS_DB=str(collection), HOME=str(isolated_home), TERM="dumb", NO_COLOR="1"
        )  # plain text: no ANSI styles
        child = pexpect.spawn(
            sys.executable, ["-m", "dva_cards", "review", *args], env=env, dimensions=(30, 100),
            encoding="utf-8", timeout=30,
        )  # fmt: skip
        children.append(child)
        return child

    yield start
    for child in children:
        if child.isalive():  # type: ignore[attr-defined]
            child.terminate(force=True)  # type: ignore[attr-defined]


def fronts_and_cards(db_path: Path) -> tuple[dict[str, str], dict[str, tuple[object, ...]]]:
    with sqlite3.connect(db_path) as connection:
        ids = dict(connection.execute("SELECT front, id FROM card").fetchall())
        cards = {
            front: tuple(rest)
            for front, *rest in connection.execute(
                "SELECT front, reps, interval, due, suspended, drill FROM card"
            )
        }
    return ids, cards


def test_reveal_grade_undo_suspend_quit(spawn, collection: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn()
    child.expect("EC2")
    child.expect(PROMPT)
    child.send(" ")  # a single key, no Enter
    child.expect("virtual machines")
    child.expect("4 good 1d · 5 easy 1d")
    child.send("4")
    child.expect("Lambda")
    child.expect(PROMPT)
    child.send("u")
    child.expect("Undone: grade 4 of EC2")
    child.expect("EC2")
    child.expect(PROMPT)
    child.send(" ")
    child.expect("virtual machines")
    child.send("5")
    child.expect("Lambda")
    child.expect(PROMPT)
    child.send("s")
    child.expect("Suspended")
    child.expect("Timeout")
    child.expect(PROMPT)
    child.send("q")
    child.expect(r"Reviewed 1 · correct 100% · time \d+ s · due tomorrow 1")
    child.expect(pexpect.EOF)
    # The terminal is back in line mode with echo (on Linux the master side reports the pty's modes).
    mode = termios.tcgetattr(child.child_fd)
    assert mode[3] & termios.ECHO and mode[3] & termios.ICANON
    child.close()
    assert child.exitstatus == 0

    ids, cards = fronts_and_cards(collection)
    with sqlite3.connect(collection) as connection:
        rows = review_rows(connection)
    assert [(row["card_id"], row["quality"], row["kind"]) for row in rows] == [(ids["EC2"], 5, "review")]
    assert cards["EC2"][:2] == (1, 1) and cards["EC2"][3] == 0
    assert cards["Lambda"] == (0, 0, None, 1, 0)  # suspended, otherwise untouched
    assert cards["Timeout"] == (0, 0, None, 0, 0)


def test_ctrl_c_ends_with_the_summary(spawn, collection: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn()
    child.expect(PROMPT)
    child.send(" ")
    child.expect("virtual machines")
    child.send("3")
    child.expect("Lambda")
    child.expect(PROMPT)
    child.sendintr()
    child.expect("Reviewed 1 · correct 100%")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    with sqlite3.connect(collection) as connection:
        assert [row["quality"] for row in review_rows(connection)] == [3]


def test_kill_between_answers_loses_nothing_committed(spawn, collection: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn()
    child.expect(PROMPT)
    child.send(" ")
    child.expect("virtual machines")
    child.send("4")
    child.expect("Lambda")
    child.expect(PROMPT)
    child.send(" ")
    child.expect("functions")
    child.send("1")
    child.expect("Timeout")  # the next card shows only once both answers are committed
    child.expect(PROMPT)
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus == signal.SIGKILL

    ids, cards = fronts_and_cards(collection)
    with sqlite3.connect(collection) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = review_rows(connection)
    assert [(row["card_id"], row["quality"]) for row in rows] == [(ids["EC2"], 4), (ids["Lambda"], 1)]
    assert cards["EC2"][:2] == (1, 1)
    assert cards["Lambda"][:2] == (0, 0) and cards["Lambda"][2] == rows[1]["day"]  # re-learning, due today


def test_cram_in_a_terminal(spawn, collection: Path) -> None:  # type: ignore[no-untyped-def]
    child = spawn("--cram", "--section", "Storage", "--seed", "1")
    child.expect("Cram: 2 cards from Storage")
    child.expect(PROMPT)
    child.send("\r")  # Enter reveals too
    child.expect("storage")
    child.send("5")
    child.expect(PROMPT)
    child.send(" ")
    child.expect("storage")
    child.send("5")
    child.expect("Cram done.")
    child.send("x")
    child.expect("Reviewed 2")
    child.expect(pexpect.EOF)
    with sqlite3.connect(collection) as connection:
        assert [row["kind"] for row in review_rows(connection)] == ["cram", "cram"]


# -- the key readers -------------------------------------------------------------------------------------------


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, int]]:
    master, slave = os.openpty()
    yield master, slave
    os.close(master)
    os.close(slave)


def test_terminal_keys_single_keys_and_restore(pty_pair: tuple[int, int]) -> None:
    master, slave = pty_pair
    before = termios.tcgetattr(slave)
    with TerminalKeys(slave) as keys:
        mode = termios.tcgetattr(slave)
        assert not mode[3] & termios.ECHO
        assert not mode[3] & termios.ICANON
        assert mode[3] & termios.ISIG  # Ctrl-C still interrupts
        os.write(master, b"a")
        assert keys.read_key() == "a"
        os.write(master, "é".encode())
        assert keys.read_key() == "é"
        os.write(master, b" ")
        assert keys.read_key() == REVEAL
        os.write(master, b"\r")
        assert keys.read_key() == "\n"
        os.write(master, b"\x1b[A")
        assert keys.read_key() == UP  # the whole arrow-key sequence, named
        os.write(master, b"\x1b[6~")
        assert keys.read_key() == PAGE_DOWN
        os.write(master, b"\x1b[Z")
        assert keys.read_key() == ESCAPE  # any other sequence: ignored whole
        os.write(master, b"q")
        assert keys.read_key() == "q"
        with keys.paused():
            assert termios.tcgetattr(slave) == before
        assert not termios.tcgetattr(slave)[3] & termios.ICANON
        os.write(master, b"\x04")
        with pytest.raises(EOFError):
            keys.read_key()
    assert termios.tcgetattr(slave) == before


def test_terminal_keys_restore_on_interrupt(pty_pair: tuple[int, int]) -> None:
    _, slave = pty_pair
    before = termios.tcgetattr(slave)
    with pytest.raises(KeyboardInterrupt), TerminalKeys(slave):
        raise KeyboardInterrupt
    assert termios.tcgetattr(slave) == before


def test_line_keys() -> None:
    keys = LineKeys(io.StringIO(" \n\n4\n q\nquit\nUNDO\n44\n"))
    assert [keys.read_key() for _ in range(7)] == [REVEAL, REVEAL, "4", "q", "q", "u", "44"]
    with pytest.raises(EOFError):
        keys.read_key()


def test_open_keys_without_a_terminal_reads_lines() -> None:
    with open_keys(io.StringIO("5\n")) as keys:
        assert isinstance(keys, LineKeys)
        assert keys.read_key() == "5"
