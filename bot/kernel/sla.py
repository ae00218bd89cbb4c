"""SLA targets per priority, counted in business hours where the policy says so."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays
from pydantic import BaseModel, Field


class SlaPolicy(BaseModel):
    first_response_minutes: int = Field(gt=0)
    resolution_minutes: int = Field(gt=0)
    business_hours: bool = True


DEFAULT_POLICIES: dict[str, SlaPolicy] = {
    "P1": SlaPolicy(first_response_minutes=15, resolution_minutes=4 * 60, business_hours=False),
    "P2": SlaPolicy(first_response_minutes=30, resolution_minutes=8 * 60),
    "P3": SlaPolicy(first_response_minutes=2 * 60, resolution_minutes=3 * 10 * 60),
    "P4": SlaPolicy(first_response_minutes=8 * 60, resolution_minutes=5 * 10 * 60),
    "P5": SlaPolicy(first_response_minutes=10 * 60, resolution_minutes=10 * 10 * 60),
}


class BusinessCalendar(BaseModel):
    """Working hours on working days in one time zone, without the country's public holidays."""

    timezone: str = "Europe/Paris"
    start: time = time(8, 0)
    end: time = time(18, 0)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays_country: str | None = "FR"

    model_config = {"frozen": True}

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _holidays(self) -> holidays.HolidayBase | dict[date, str]:
        return holidays.country_holidays(self.holidays_country) if self.holidays_country else {}

    def _working(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self._holidays

    def add(self, start: datetime, minutes: int) -> datetime:
        """The moment `minutes` of business time after `start` (an aware datetime)."""
        moment = start.astimezone(self._zone)
        remaining = timedelta(minutes=minutes)
        while True:
            day = moment.date()
            opens = datetime.combine(day, self.start, self._zone)
            closes = datetime.combine(day, self.end, self._zone)
            if self._working(day) and moment < closes:
                moment = max(moment, opens)
                if moment + remaining <= closes:
                    return (moment + remaining).astimezone(start.tzinfo)
                remaining -= closes - moment
            moment = datetime.combine(day + timedelta(days=1), self.start, self._zone)

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` (aware) falls in working hours on a working day."""
        local = moment.astimezone(self._zone)
        return self._working(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, moment: datetime) -> datetime:
        """When working hours next begin after `moment` (aware); `moment` itself when open."""
        local = moment.astimezone(self._zone)
        day = local.date()
        for _ in range(366):  # a calendar without a single working day in a year is refused
            opens = datetime.combine(day, self.start, self._zone)
            closes = datetime.combine(day, self.end, self._zone)
            if self._working(day) and local < closes:
                return max(local, opens).astimezone(moment.tzinfo)
            day += timedelta(days=1)
        raise ValueError("the business calendar has no working hours within a year")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time elapsed from `start` to `end`."""
        total = timedelta()
        moment = start.astimezone(self._zone)
        end = end.astimezone(self._zone)
        while moment < end:
            day = moment.date()
            opens = datetime.combine(day, self.start, self._zone)
            closes = datetime.combine(day, self.end, self._zone)
            if self._working(day):
                window_start, window_end = max(moment, opens), min(end, closes)
                if window_end > window_start:
                    total += window_end - window_start
            moment = datetime.combine(day + timedelta(days=1), time(0), self._zone)
        return total


def due(policy: SlaPolicy, calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    if policy.business_hours:
        return calendar.add(start, minutes)
    return start + timedelta(minutes=minutes)
