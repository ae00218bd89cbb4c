"""A ticket's history read for the KPIs: when it was assigned, resolved, reopened, reassigned,
and whether its SLA targets were met."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from bot.storage.conversations import as_utc

ASSIGNED = frozenset({"assigned", "in_progress"})
DONE = frozenset({"resolved", "closed"})
PAUSED = frozenset({"awaiting_information", "pending"})


@dataclass(frozen=True)
class TicketEvent:
    at: datetime
    kind: str
    data: dict[str, Any]


@dataclass
class TicketHistory:
    """One ticket and its events (oldest first), read as the figures need them."""

    id: int
    created: datetime
    category: str
    channel: str
    language: str
    status: str
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    events: list[TicketEvent] = field(default_factory=list)

    @cached_property
    def statuses(self) -> list[tuple[datetime, str]]:
        """Every status the ticket entered, with when, the creation's included (read once
        all events are in)."""
        found: list[tuple[datetime, str]] = []
        for event in self.events:
            status = _status_entered(event)
            if status is not None:
                found.append((event.at, status))
        return found

    def changes_of(self, name: str) -> list[tuple[datetime, Any, Any]]:
        found = []
        for event in self.events:
            change = event.data.get(name) if event.kind != "created" else None
            if isinstance(change, dict) and "to" in change:
                found.append((event.at, change.get("from"), change["to"]))
        return found

    def assigned_at(self) -> datetime | None:
        """First moment an agent had it: status assigned or in progress, or an assignee set."""
        moments = [at for at, status in self.statuses if status in ASSIGNED]
        moments += [at for at, _, to in self.changes_of("assignee") if to]
        return min(moments, default=None)

    def was_resolved(self) -> bool:
        return self.resolved_at is not None or any(s in DONE for _, s in self.statuses)

    def reopened(self) -> bool:
        return any(status == "reopened" for _, status in self.statuses)

    def reassigned(self) -> bool:
        """Handed from one agent or group to another (not the first assignment)."""
        return any(
            before and to and before != to
            for name in ("assignee", "assignee_group")
            for _, before, to in self.changes_of(name)
        )

    def first_contact(self) -> bool:
        """Resolved without being reopened, reassigned or sent back to the requester."""
        return (
            self.was_resolved()
            and not self.reopened()
            and not self.reassigned()
            and all(status != "awaiting_information" for _, status in self.statuses)
        )


def _status_entered(event: TicketEvent) -> str | None:
    status = event.data.get("status")
    if event.kind == "created" and isinstance(status, str):
        return status
    if isinstance(status, dict) and isinstance(status.get("to"), str):
        return str(status["to"])
    return None


def aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def sla(
    tickets: Sequence[TicketHistory], *, due: str, done: str, now: datetime, pauses: bool = False
) -> tuple[int, int]:
    """(met, counted): met when done by the due time; missed when done late or when the due
    time passed undone; not counted while undone before the due time, nor, for a clock that
    `pauses`, while paused (its due time moves when it resumes)."""
    met = counted = 0
    for ticket in tickets:
        due_at, done_at = getattr(ticket, due), getattr(ticket, done)
        if due_at is None:
            continue
        due_at = as_utc(due_at)
        if done_at is not None:
            counted += 1
            met += as_utc(done_at) <= due_at
        elif due_at < now and not (pauses and ticket.status in PAUSED):
            counted += 1
    return met, counted
