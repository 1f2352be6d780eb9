"""Per-collection settings: known keys, defaults, validation, and `dva-cards config`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dva_cards.fsrs import DEFAULT_PARAMETERS
from dva_cards.scheduling import SchedulerName
from dva_cards.settings import (
    FSRS_PARAMETERS_KEY,
    SETTINGS,
    SettingError,
    Settings,
    effective,
    normalize_key,
    parameters_text,
    parse_value,
)
from tests.helpers import dump, run


def test_defaults() -> None:
    assert effective({}) == Settings(
        new_per_day=20, reviews_per_day=200, rollover_hour=4, leech_threshold=8, leech_action="flag",
        scheduler=SchedulerName.SM2, desired_retention=0.9, maximum_interval=36_500,
        fsrs_parameters=DEFAULT_PARAMETERS,
    )  # fmt: skip
    assert set(SETTINGS) == {
        "new-per-day",
        "reviews-per-day",
        "rollover-hour",
        "leech-threshold",
        "leech-action",
        "scheduler",
        "desired-retention",
        "maximum-interval",
        "sync-url",
    }


def test_fitted_parameters_read_back_bit_for_bit_and_bad_ones_are_refused() -> None:
    fitted = tuple(value * 1.0001 for value in DEFAULT_PARAMETERS[:20]) + (0.2,)
    assert effective({FSRS_PARAMETERS_KEY: parameters_text(fitted)}).fsrs_parameters == fitted
    with pytest.raises(SettingError, match="optimize"):
        effective({FSRS_PARAMETERS_KEY: "[1, 2]"})


def test_stored_values_override_defaults_and_unknown_keys_are_ignored() -> None:
    stored = {"new-per-day": "30", "leech-action": "suspend", "someone-elses-key": "x"}
    assert effective(stored) == Settings(new_per_day=30, leech_action="suspend")


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("new-per-day", "0", "0"),
        ("new-per-day", " 30 ", "30"),
        ("new-per-day", "007", "7"),
        ("reviews-per-day", "0", "0"),
        ("reviews-per-day", "1000000", "1000000"),
        ("rollover-hour", "0", "0"),
        ("rollover-hour", "23", "23"),
        ("leech-threshold", "1", "1"),
        ("leech-action", "flag", "flag"),
        ("leech-action", "SUSPEND", "suspend"),
        ("NEW_PER_DAY", "5", "5"),
    ],
)
def test_valid_values_are_normalized(key: str, value: str, stored: str) -> None:
    assert parse_value(key, value) == stored


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("new-per-day", "-1"),
        ("new-per-day", "1.5"),
        ("new-per-day", "ten"),
        ("new-per-day", ""),
        ("new-per-day", "+3"),
        ("new-per-day", "3_0"),
        ("new-per-day", "٣"),  # an Arabic-Indic digit: int() would take it
        ("new-per-day", "1000001"),
        ("reviews-per-day", "-5"),
        ("rollover-hour", "24"),
        ("rollover-hour", "-1"),
        ("leech-threshold", "0"),
        ("leech-action", "delete"),
        ("leech-action", ""),
    ],
)
def test_invalid_values_are_refused(key: str, value: str) -> None:
    with pytest.raises(SettingError, match=normalize_key(key)):
        parse_value(key, value)


def test_unknown_key_names_the_known_ones() -> None:
    with pytest.raises(SettingError, match="unknown setting 'new-cards'.*new-per-day"):
        parse_value("new-cards", "3")


def test_invalid_stored_value_says_how_to_fix_it() -> None:
    with pytest.raises(SettingError, match="config unset rollover-hour"):
        effective({"rollover-hour": "25"})


# -- the command ----------------------------------------------------------------------------------------------


def test_config_set_get_list_unset(db_path: Path) -> None:
    result = run("config", "set", "new-per-day", "30")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "new-per-day = 30"
    assert run("config", "get", "new-per-day").stdout.strip() == "30"
    assert run("config", "get", "rollover-hour").stdout.strip() == "4"  # a default
    assert run("config", "set", "leech-action", "Suspend").stdout.strip() == "leech-action = suspend"

    listing = run("config", "list")
    assert listing.exit_code == 0, listing.output
    for key in SETTINGS:
        assert key in listing.stdout
    assert "(default 20)" in listing.stdout  # new-per-day was changed from 20
    values = json.loads(run("config", "list", "--json").stdout)
    assert values == {
        "new-per-day": 30,
        "reviews-per-day": 200,
        "rollover-hour": 4,
        "leech-threshold": 8,
        "leech-action": "suspend",
        "scheduler": "sm2",
        "desired-retention": 0.9,
        "maximum-interval": 36_500,
        "sync-url": "",
    }

    result = run("config", "unset", "new-per-day")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "new-per-day = 20 (default)"
    assert run("config", "get", "new-per-day").stdout.strip() == "20"
    assert [row[:2] for row in dump(db_path)["setting"]] == [("leech-action", "suspend")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("config", "set", "new-cards", "3"), "unknown setting 'new-cards'"),
        (("config", "set", "rollover-hour", "24"), "rollover-hour must be a whole number from 0 to 23"),
        (("config", "set", "leech-action", "delete"), "leech-action must be flag or suspend"),
        (("config", "set", "leech-threshold", "0"), "leech-threshold must be a whole number from 1"),
        (("config", "get", "colour"), "unknown setting 'colour'"),
        (("config", "unset", "colour"), "unknown setting 'colour'"),
    ],
)
def test_bad_key_or_value_is_one_line_error_and_changes_nothing(
    db_path: Path, args: tuple[str, ...], message: str
) -> None:
    run("config", "set", "new-per-day", "25")
    before = dump(db_path)
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert dump(db_path) == before


def test_bad_value_does_not_create_a_collection(db_path: Path) -> None:
    result = run("config", "set", "new-per-day", "lots")
    assert result.exit_code != 0
    assert not db_path.exists()


def test_config_without_subcommand_shows_help() -> None:
    result = run("config")
    assert "set" in result.output and "unset" in result.output
