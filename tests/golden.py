"""Golden text snapshots: the expected screen lives in tests/golden/, compared byte for byte.

`DVA_CARDS_UPDATE_GOLDEN=1 pytest ...` rewrites the snapshots from the current output; review the diff before
committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("DVA_CARDS_UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if os.environ.get("DVA_CARDS_UPDATE_GOLDEN") != "1":
            raise AssertionError(f"new golden snapshot {name} written: check it and commit it")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (
        f"{name} differs from its golden snapshot (DVA_CARDS_UPDATE_GOLDEN=1 rewrites it)"
    )
