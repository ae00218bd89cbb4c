"""Tickets and escalations as Guichet stores them (the ITSM sync builds on this)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.domain import utcnow
from bot.errors import TicketNotFound
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import EscalationRow, TicketRow

TicketKind = Literal["incident", "request"]
OPEN_STATUSES = ("new", "assigned", "in_progress", "awaiting_information", "pending", "reopened")
_PREFIX: dict[str, str] = {"incident": "INC", "request": "REQ"}


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


class Ticket(NewTicket):
    reference: str
    status: str
    created_at: datetime
    updated_at: datetime


def _ticket(row: TicketRow) -> Ticket:
    return Ticket(
        reference=row.reference or "",
        kind=row.kind,
        requester=row.requester,
        channel=row.channel,
        conversation_id=row.conversation_id,
        title=row.title,
        description=row.description,
        category=row.category,
        impact=row.impact,
        urgency=row.urgency,
        priority=row.priority,
        status=row.status,
        language=row.language,
        details=row.details,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


class TicketStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def create(self, new: NewTicket) -> Ticket:
        now = utcnow()
        async with self._sessions.begin() as session:
            row = TicketRow(**new.model_dump(), status="new", created_at=now, updated_at=now)
            session.add(row)
            await session.flush()
            row.reference = f"{_PREFIX[new.kind]}-{row.id:06d}"
        return _ticket(row)

    async def get(self, reference: str) -> Ticket:
        async with self._sessions() as session:
            row = await session.scalar(
                select(TicketRow).where(TicketRow.reference == reference.upper())
            )
        if row is None:
            raise TicketNotFound(reference=reference)
        return _ticket(row)

    async def open_for(self, requester: str) -> list[Ticket]:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(TicketRow)
                    .where(TicketRow.requester == requester, TicketRow.status.in_(OPEN_STATUSES))
                    .order_by(TicketRow.created_at.desc())
                )
            ).all()
        return [_ticket(row) for row in rows]

    async def escalate(
        self, *, conversation_id: str, requester: str, reason: str, summary: dict[str, Any]
    ) -> int:
        async with self._sessions.begin() as session:
            row = EscalationRow(
                conversation_id=conversation_id,
                requester=requester,
                reason=reason,
                status="waiting",
                summary=summary,
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            return row.id

    async def waiting_escalations(self) -> int:
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(EscalationRow.id).where(EscalationRow.status == "waiting")
                )
            ).all()
        return len(rows)
