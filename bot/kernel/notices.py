"""Incident notices ("Outlook is down in Lyon, we're on it"), as every layer sees them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from bot.kernel.errors import NotFound
from bot.kernel.language import Language
from bot.kernel.links import SafeLink

NoticeStatus = Literal["active", "closed"]
Severity = Literal["info", "degraded", "outage"]


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
