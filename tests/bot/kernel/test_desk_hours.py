"""The service desk's hours from the business calendar, and a moment to come as people read it."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.kernel.formats import day_and_time
from bot.kernel.sla import BusinessCalendar

pytestmark = pytest.mark.unit
PARIS = BusinessCalendar()  # Mon-Fri 8:00-18:00 Europe/Paris, French public holidays


@pytest.mark.parametrize(
    ("moment", "is_open", "opens"),
    [
        (datetime(2026, 12, 4, 3, 20, tzinfo=UTC), False, datetime(2026, 12, 4, 7, 0, tzinfo=UTC)),
        (datetime(2026, 12, 4, 9, 0, tzinfo=UTC), True, datetime(2026, 12, 4, 9, 0, tzinfo=UTC)),
        (datetime(2026, 12, 4, 17, 0, tzinfo=UTC), False, datetime(2026, 12, 7, 7, 0, tzinfo=UTC)),
        (
            datetime(2026, 12, 24, 18, 0, tzinfo=UTC),
            False,
            datetime(2026, 12, 28, 7, 0, tzinfo=UTC),
        ),
        (datetime(2026, 7, 14, 9, 0, tzinfo=UTC), False, datetime(2026, 7, 15, 6, 0, tzinfo=UTC)),
    ],
)
def test_open_or_when_it_opens(moment: datetime, is_open: bool, opens: datetime) -> None:
    assert PARIS.is_open(moment) is is_open
    assert PARIS.next_opening(moment) == opens


def test_a_calendar_without_working_days_says_so() -> None:
    never = BusinessCalendar(weekdays=(), holidays_country=None, start=time(8), end=time(9))
    with pytest.raises(ValueError, match="no working hours"):
        never.next_opening(datetime(2026, 12, 4, tzinfo=UTC))


def test_a_moment_to_come_has_its_weekday_and_zone() -> None:
    monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert day_and_time(monday, "fr", "Europe/Paris") == "lundi 7 décembre 2026, 08:00 CET"
    assert day_and_time(monday, "en", "America/New_York") == (
        "Monday, December 7, 2026, 2:00\u202fAM EST"
    )
