"""Tickets as the layers above the store see them, and the desk the actions reach them through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from bot.kernel.tickets import Status, TicketKind


class NewTicket(BaseModel):
    kind: TicketKind
    requester: str
    channel: str
    conversation_id: str | None
    title: str
    description: str
    category: str
    impact: str
    urgency: str
    priority: str
    language: str
    details: dict[str, Any] = Field(default_factory=dict)
    assignee_group: str | None = None
    parent_reference: str | None = None
    status: str = "new"


class Comment(BaseModel):
    at: datetime
    author: str
    body: str
    public: bool
    origin: str


class Event(BaseModel):
    at: datetime
    actor: str
    kind: str
    data: dict[str, Any]


class SyncState(BaseModel):
    backend: str
    state: Literal["pending", "synced", "failed"]
    upstream_id: str | None
    last_error: str | None
    updated_at: datetime


class Ticket(NewTicket):
    id: int
    reference: str
    created_at: datetime
    updated_at: datetime
    assignee: str | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    paused_at: datetime | None = None
    change_ref: str | None = Field(None, description="the change or release it follows from")

    def sla_breaches(self, now: datetime) -> dict[str, bool]:
        """Whether the first-response and resolution targets are missed (or will be, now)."""
        responded = self.first_response_at or now
        resolved = self.resolved_at or (now if self.paused_at is None else self.paused_at)
        return {
            "first_response": bool(self.first_response_due and responded > self.first_response_due),
            "resolution": bool(self.resolution_due and resolved > self.resolution_due),
        }


class TicketDesk(Protocol):
    """What actions may do with tickets; the core's ticket service is the implementation.

    Writes apply the ticket rules (priority from the matrix, SLA due dates, lifecycle) and queue
    the change for the ITSM tools; reads return the stored tickets.
    """

    def priority(self, impact: str, urgency: str) -> str:
        """The priority (P1-P5) of an impact and an urgency; `InvalidRequest` if unknown."""
        ...

    async def create(self, new: NewTicket, *, actor: str | None = None) -> Ticket: ...

    async def transition(self, reference: str, to: Status, *, actor: str) -> Ticket:
        """Move to status `to`; `InvalidTransition` names the allowed ones."""
        ...

    async def comment(self, reference: str, *, author: str, body: str) -> Ticket:
        """A public comment, sent upstream."""
        ...

    async def link_parent(self, reference: str, parent: str, *, actor: str) -> Ticket:
        """Attach a ticket to a parent incident."""
        ...

    async def get(self, reference: str) -> Ticket:
        """The ticket; `TicketNotFound` if there is none."""
        ...

    async def find(
        self,
        *,
        requester: str | None = None,
        statuses: Sequence[str] = (),
        parent: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[Ticket]:
        """Newest first."""
        ...

    async def open_for(self, requester: str) -> list[Ticket]: ...

    async def escalate(
        self, *, conversation_id: str, requester: str, reason: str, summary: dict[str, Any]
    ) -> int:
        """Queue the conversation for an agent (one open escalation per conversation)."""
        ...

    async def waiting_escalations(self) -> int: ...

    async def takeovers(self, since: datetime) -> list[tuple[datetime, datetime]]:
        """When each conversation handed to an agent since `since` was handed over, and when an
        agent took it; oldest first."""
        ...

    async def agent_name(self, email: str) -> str:
        """The name employees see for the agent `email` (a ticket's assignee): their account's
        display name, or one made from the account; never the e-mail address."""
        ...
