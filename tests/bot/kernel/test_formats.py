"""One formatter for every time Guichet shows: the reader's zone, named; the language's formats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.kernel.errors import SettingsInvalid
from bot.kernel.formats import hours, is_zone, number, percent, when
from bot.settings import load_settings

MOMENT = datetime(2026, 12, 4, 3, 16, tzinfo=UTC)


def test_a_french_reader_in_paris_and_an_english_one_in_new_york_read_the_same_moment() -> None:
    assert when(MOMENT, "fr", "Europe/Paris") == "4 déc. 2026, 04:16 CET"
    assert when(MOMENT, "en", "America/New_York") == "Dec 3, 2026, 10:16\u202fPM EST"
    assert when(MOMENT, "fr", "Europe/Paris", year=False) == "4 déc., 04:16 CET"
    assert when(None, "fr", "Europe/Paris") == ""


def test_an_unknown_zone_falls_back_and_is_refused_as_a_setting() -> None:
    assert not is_zone("Mars/Olympus") and not is_zone("../../etc/passwd") and not is_zone("")
    assert when(MOMENT, "en", "Mars/Olympus").endswith("UTC")
    with pytest.raises(SettingsInvalid, match="GUICHET_DEFAULT_TIMEZONE"):
        load_settings(default_timezone="Mars/Olympus")


def test_shares_are_written_as_each_language_writes_them() -> None:
    assert percent(0.0, "en") == "0.0%"
    assert percent(0.255, "fr") == "25,5\u00a0%"


@pytest.mark.parametrize(
    ("value", "language", "shown"),
    [
        (0.0, "fr", "0\u00a0min"),
        (0.25, "fr", "15\u00a0min"),
        (5.0, "fr", "5\u202fh"),
        (3.55, "fr", "3,6\u202fh"),
        (50.0, "fr", "2,1\u202fj"),
        (5.0, "en", "5 hr"),
        (3.55, "en", "3.6 hr"),
        (50.0, "en", "2.1 days"),
    ],
)
def test_a_duration_reads_in_the_languages_numbers_and_units(
    value: float, language: str, shown: str
) -> None:
    assert hours(value, language) == shown


def test_a_number_reads_in_the_languages_separators() -> None:
    assert number(1234.5, "fr") == "1\u202f234,5"
    assert number(1234.5, "en") == "1,234.5"
    assert number(3, "fr", digits=0) == "3"
