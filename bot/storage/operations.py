"""What `/metrics` reads from the database when it is scraped: the outbox backlog per ITSM
backend and the open tickets past their SLA targets. Two grouped queries, no row loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from bot.kernel.tickets import OPEN_STATUSES, PAUSED
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import OutboxRow, TicketRow


@dataclass(frozen=True)
class Backlog:
    """One backend's outbox: items waiting (pending, retried) or parked (failed for good)."""

    backend: str
    pending: int
    failed: int
    oldest_pending: datetime | None


@dataclass(frozen=True)
class Breaches:
    """Open tickets of one priority whose first-response or resolution target has passed."""

    priority: str
    first_response: int
    resolution: int


class OperationsReader:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def outbox_backlog(self) -> list[Backlog]:
        """Per backend with anything not delivered (the `ix_outbox_due` index's state first)."""
        query = (
            select(
                OutboxRow.backend,
                OutboxRow.state,
                func.count(OutboxRow.id),
                func.min(OutboxRow.created_at),
            )
            .where(OutboxRow.state.in_(("pending", "failed")))
            .group_by(OutboxRow.backend, OutboxRow.state)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        found: dict[str, Backlog] = {}
        for backend, state, count, oldest in rows:
            known = found.get(backend, Backlog(backend, 0, 0, None))
            if state == "pending":
                found[backend] = Backlog(
                    backend, count, known.failed, as_utc(oldest) if oldest else None
                )
            else:
                found[backend] = Backlog(backend, known.pending, count, known.oldest_pending)
        return sorted(found.values(), key=lambda backlog: backlog.backend)

    async def sla_breaches(self, now: datetime) -> list[Breaches]:
        """As `Ticket.sla_breaches` judges an open ticket: late for its first response while
        none was given, late for its resolution (the clock stopped while paused)."""
        first = and_(TicketRow.first_response_at.is_(None), TicketRow.first_response_due < now)
        resolution = or_(
            and_(TicketRow.status.not_in(PAUSED), TicketRow.resolution_due < now),
            and_(
                TicketRow.status.in_(PAUSED),
                TicketRow.paused_at > TicketRow.resolution_due,
            ),
        )
        query = (
            select(
                TicketRow.priority,
                func.count().filter(first),
                func.count().filter(resolution),
            )
            .where(TicketRow.status.in_(OPEN_STATUSES), or_(first, resolution))
            .group_by(TicketRow.priority)
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return sorted(
            (
                Breaches(priority, late_first, late_resolution)
                for priority, late_first, late_resolution in rows
            ),
            key=lambda breaches: breaches.priority,
        )
