"""Planned changes as the ITSM tools' change calendars give them (ServiceNow change requests,
Jira Service Management changes, GLPI changes), and the Protocol those calendars implement."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, Field

# Every tool's workflow, folded into the stages Guichet acts on: a change is announced and
# shown once approved or scheduled; before that, the console shows what similar ones brought.
ChangeState = Literal[
    "requested", "approved", "scheduled", "implementing", "review", "closed", "cancelled"
]
NOT_YET_APPROVED: frozenset[ChangeState] = frozenset({"requested"})
ANNOUNCED: frozenset[ChangeState] = frozenset({"approved", "scheduled", "implementing"})


class PlannedChange(BaseModel):
    """One change of a tool's calendar, with its planned window (aware, UTC)."""

    source: str = Field(description="the ITSM backend it was read from")
    upstream_id: str
    reference: str = Field(max_length=64, description="the tool's number: CHG0030001, ITS-12")
    title: str = Field(max_length=200)
    service: str | None = Field(None, max_length=200, description="service or CI it affects")
    starts_at: datetime
    ends_at: datetime
    state: ChangeState
    url: str | None = None


class ChangeCalendar(Protocol):
    """An ITSM tool's change calendar.

    `planned_changes(since=...)` returns the changes whose planned window ends after `since`,
    with a start and an end (a change without both is not on the calendar), in any order;
    `BackendError` subclasses when the tool cannot be read.
    """

    name: str

    async def planned_changes(self, *, since: datetime) -> list[PlannedChange]: ...

    async def aclose(self) -> None: ...
