"""Ticket rows to Guichet's tickets, and the session a read uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.ticket_models import Ticket
from bot.storage.conversations import as_utc
from bot.storage.tables import TicketRow


@asynccontextmanager
async def reading(
    sessions: async_sessionmaker[AsyncSession], session: AsyncSession | None
) -> AsyncIterator[AsyncSession]:
    """`session` when a write's transaction reads what it wrote, else a session of its own."""
    if session is not None:
        yield session
        return
    async with sessions() as own:
        yield own


def _aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment else None


def ticket_from_row(row: TicketRow) -> Ticket:
    return Ticket(
        id=row.id, reference=row.reference or "", kind=row.kind, requester=row.requester,
        channel=row.channel, conversation_id=row.conversation_id, title=row.title,
        description=row.description, category=row.category, impact=row.impact,
        urgency=row.urgency, priority=row.priority, status=row.status, language=row.language,
        details=row.details, assignee_group=row.assignee_group, assignee=row.assignee,
        parent_reference=row.parent_reference, created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at), first_response_due=_aware(row.first_response_due),
        resolution_due=_aware(row.resolution_due), first_response_at=_aware(row.first_response_at),
        resolved_at=_aware(row.resolved_at), closed_at=_aware(row.closed_at),
        paused_at=_aware(row.paused_at), change_ref=row.change_ref,
    )  # fmt: skip
