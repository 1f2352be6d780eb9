"""The package's promises agree with each other: supported Pythons, the README's set-up commands, CI."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
README = (REPO / "README.md").read_text(encoding="utf-8")
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")


def supported_pythons() -> list[tuple[int, int]]:
    found = []
    for classifier in PYPROJECT["project"]["classifiers"]:
        match = re.fullmatch(r"Programming Language :: Python :: (\d+)\.(\d+)", classifier)
        if match:
            found.append((int(match[1]), int(match[2])))
    return sorted(found)


def readme_block(marker: str) -> list[str]:
    """The lines of the ```sh block right after `<!-- setup: MARKER -->`, as CI reads them."""
    match = re.search(rf"^<!-- setup: {re.escape(marker)} -->\n```sh\n(.*?)^```", README, re.M | re.S)
    assert match, f"README has no setup block {marker!r}"
    return match[1].splitlines()


def test_supported_versions_run_without_gaps_from_requires_python() -> None:
    versions = supported_pythons()
    oldest = versions[0]
    assert PYPROJECT["project"]["requires-python"] == f">={oldest[0]}.{oldest[1]}"
    assert versions == [(3, minor) for minor in range(oldest[1], versions[-1][1] + 1)]


def test_ci_tests_the_newest_supported_python_and_the_readme_says_which() -> None:
    versions = supported_pythons()
    newest = f"{versions[-1][0]}.{versions[-1][1]}"
    assert re.search(rf"^NEWEST_PYTHON={re.escape(newest)}\b", CI, re.M)
    named = ", ".join(f"{major}.{minor}" for major, minor in versions[:-1]) + f" and {newest}"
    assert f"Supported: Python {named}." in README


def test_the_readme_setup_commands_are_the_ones_ci_runs() -> None:
    install = readme_block("install")
    assert install == ["pipx install . && dva-cards review"]
    alternatives = readme_block("install alternatives")
    assert alternatives[0] == "uv tool install . && dva-cards review"
    assert len(alternatives) == 2 and alternatives[1].startswith("python3 -m venv ")
    assert readme_block("test") == ["bash .ci/run"]
    for marker in ("install", "install alternatives", "test"):
        assert f"readme_block {marker}" in CI or f'readme_block "{marker}"' in CI


def test_the_package_is_typed_and_ships_its_changelog() -> None:
    assert (REPO / "src" / "dva_cards" / "py.typed").exists()
    assert "Typing :: Typed" in PYPROJECT["project"]["classifiers"]
    version = PYPROJECT["project"]["version"]
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## {re.escape(version)}\b", changelog, re.M)
    assert "CHANGELOG.md" in PYPROJECT["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    from dva_cards import __version__

    assert __version__ == version
