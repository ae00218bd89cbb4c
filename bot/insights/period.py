"""The time range a report covers, from what a person types in a URL or a form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.kernel.errors import InvalidRequest

MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    """[start, end): start included, end excluded, both UTC."""

    start: datetime
    end: datetime

    @property
    def days(self) -> list[date]:
        first, last = self.start.date(), (self.end - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def _moment(field: str, text: str, *, end: bool) -> datetime:
    """A date means its whole day (an end date is included); a datetime is taken as is."""
    try:
        if len(text) == len("2026-11-23"):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time(), tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRequest(
            field=field, problem=f"expected a date (2026-11-23) or an ISO datetime, got {text!r}"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_period(start: str | None, end: str | None, *, now: datetime) -> Period:
    """`from`/`to` of a request; by default the last 30 days up to now."""
    until = _moment("to", end, end=True) if end else now
    since = _moment("from", start, end=False) if start else until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise InvalidRequest(field="from", problem="must be before 'to'")
    if until - since > timedelta(days=MAX_DAYS):
        raise InvalidRequest(field="from/to", problem=f"at most {MAX_DAYS} days apart")
    return Period(since.astimezone(UTC), until.astimezone(UTC))
