"""ITIL statuses and transitions, SLA targets in business hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.kernel.sla import BusinessCalendar
from bot.kernel.tickets import (
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    InvalidTransition,
    check_transition,
)

pytestmark = pytest.mark.unit


def test_every_status_has_its_transitions() -> None:
    assert (
        set(TRANSITIONS)
        == set(STATUSES)
        == {
            "new",
            "assigned",
            "in_progress",
            "awaiting_information",
            "pending",
            "resolved",
            "closed",
            "rejected",
            "reopened",
        }
    )
    for targets in TRANSITIONS.values():
        assert set(targets) <= set(STATUSES)
    assert TRANSITIONS["closed"] == TRANSITIONS["rejected"] == ()
    assert "reopened" in TRANSITIONS["resolved"] and "reopened" in OPEN_STATUSES


def test_invalid_transition_names_the_allowed_ones() -> None:
    check_transition("INC-000001", "resolved", "closed")
    with pytest.raises(InvalidTransition) as caught:
        check_transition("INC-000001", "new", "closed")
    assert "cannot go from 'new' to 'closed'" in str(caught.value)
    assert caught.value.allowed == list(TRANSITIONS["new"])
    assert "assigned" in str(caught.value)
    with pytest.raises(InvalidTransition, match="none"):
        check_transition("INC-000001", "closed", "reopened")


PARIS = BusinessCalendar()


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # Monday 10:00 Paris (09:00 UTC) + 2 h → 12:00 Paris
        (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), 120, datetime(2026, 11, 23, 11, 0, tzinfo=UTC)),
        # Monday 17:30 Paris + 2 h → Tuesday 09:30 Paris
        (
            datetime(2026, 11, 23, 16, 30, tzinfo=UTC),
            120,
            datetime(2026, 11, 24, 8, 30, tzinfo=UTC),
        ),
        # Friday 17:00 Paris + 2 h → Monday 09:00 Paris
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), 120, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
        # Saturday → starts Monday 08:00
        (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), 60, datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
        # Thursday 24 Dec 17:00 + 2 h: Christmas is a holiday → Monday 28 Dec 09:00 Paris
        (datetime(2026, 12, 24, 16, 0, tzinfo=UTC), 120, datetime(2026, 12, 28, 8, 0, tzinfo=UTC)),
    ],
)
def test_business_hours_arithmetic(start: datetime, minutes: int, expected: datetime) -> None:
    assert PARIS.add(start, minutes) == expected
    assert PARIS.between(start, expected) == timedelta(minutes=minutes)


def test_summer_time_is_respected() -> None:
    # 1 July, Paris is UTC+2: 08:00 Paris is 06:00 UTC
    assert PARIS.add(datetime(2026, 7, 1, 5, 0, tzinfo=UTC), 30) == datetime(
        2026, 7, 1, 6, 30, tzinfo=UTC
    )
