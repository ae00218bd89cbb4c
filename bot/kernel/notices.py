"""Incident notices ("Outlook is down in Lyon, we're on it"), as every layer sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from pydantic import BaseModel, Field, field_validator, model_validator

from bot.kernel.errors import NotFound
from bot.kernel.formats import day_and_time, when, zone
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.links import SafeLink

NoticeStatus = Literal["active", "closed"]
Severity = Literal["info", "degraded", "outage"]
NoticeKind = Literal["incident", "maintenance"]
# Where a planned maintenance stands at a given moment.
Phase = Literal["upcoming", "ongoing", "over"]


class NoticeNotFound(NotFound):
    def __init__(self, *, notice_id: int) -> None:
        super().__init__(kind="incident notice", key=notice_id)


class NewNotice(BaseModel):
    title_en: str = Field(min_length=1, max_length=200)
    title_fr: str = Field(min_length=1, max_length=200)
    body_en: str = ""
    body_fr: str = ""
    severity: Severity = "degraded"
    tags: list[str] = Field(default_factory=list)
    url: SafeLink | None = Field(None, max_length=500)
    source: str = Field("agent", max_length=64, description="who published it")
    reference: str | None = Field(None, max_length=64, description="e.g. the problem ticket")
    sites: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="sites it affects: the directory's people of these sites who have talked "
        "to Guichet are told (with the linked tickets' requesters and the subscribers)",
    )
    departments: list[str] = Field(
        default_factory=list, max_length=50, description="departments (services) it affects"
    )
    # A planned maintenance has a window: shown in it (and a little before), announced before.
    kind: NoticeKind = "incident"
    starts_at: datetime | None = Field(None, description="maintenance: start, with a zone")
    ends_at: datetime | None = Field(None, description="maintenance: end, with a zone")
    service: str | None = Field(None, max_length=200, description="the service it affects")

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-11-05T22:00:00+01:00")
        return value.astimezone(UTC) if value is not None else None

    @model_validator(mode="after")
    def _window(self) -> NewNotice:
        if self.kind == "maintenance":
            if self.starts_at is None or self.ends_at is None:
                raise ValueError("a maintenance needs starts_at and ends_at")
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at must be after starts_at")
        return self

    def phase(self, now: datetime) -> Phase | None:
        """Where a maintenance stands at `now`; None for an incident (no window)."""
        if self.kind != "maintenance" or self.starts_at is None or self.ends_at is None:
            return None
        if now < self.starts_at:
            return "upcoming"
        return "ongoing" if now < self.ends_at else "over"

    def shown_at(self, now: datetime, *, ahead: timedelta) -> bool:
        """Whether to show it at `now`: an incident while active, a maintenance during its
        window and `ahead` before it."""
        if self.kind != "maintenance" or self.starts_at is None or self.ends_at is None:
            return True
        return self.starts_at - ahead <= now < self.ends_at


class Notice(NewNotice):
    # as stored: a link from before links were checked is read back, and never given out
    url: str | None = None
    id: int
    status: NoticeStatus
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    version: int = Field(1, description="1 when published, one more at each update and the close")

    def title(self, language: Language) -> str:
        return self.title_fr if language == "fr" else self.title_en

    def body(self, language: Language) -> str:
        return self.body_fr if language == "fr" else self.body_en


class ActiveNotices(Protocol):
    """Where the knowledge index reads the notices to show (the core's notice store)."""

    async def active(self) -> list[Notice]:
        """The active notices, possibly a few seconds old."""
        ...


def window_text(notice: Notice, language: Language, where: str | None, now: datetime) -> str:
    """A maintenance's window in the reader's language and zone ("planned Thursday, ... 10:00
    PM–11:00 PM CET", "in progress until 11:00 PM CET"); "" for a notice without one."""
    if notice.starts_at is None or notice.ends_at is None:
        return ""
    place = zone(where)
    start, end = notice.starts_at.astimezone(place), notice.ends_at.astimezone(place)
    end_clock = when(end, language, place, year=False).rsplit(", ", 1)[-1]
    if notice.phase(now) == "ongoing":
        return t("in progress until {end}", language, end=end_clock)
    same_day = start.date() == end.date()
    if same_day:
        start_text = day_and_time(start, language, place).rsplit(" ", 1)[0]
        return t("planned {start}–{end}", language, start=start_text, end=end_clock)
    return t(
        "planned from {start} to {end}",
        language,
        start=when(start, language, place, year=False),
        end=when(end, language, place, year=False),
    )
