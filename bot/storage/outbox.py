"""The outbox: pushes to the ITSM backends, queued in the transaction of each ticket change,
leased by the sync workers, and what each backend has of each ticket (sync state, upstream id,
the cursor of changes read back)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.domain import utcnow
from bot.kernel.ticket_models import SyncState, Ticket
from bot.observability.spans import carrier
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.leases import claim_due
from bot.storage.tables import OutboxRow, SyncCursorRow, TicketEventRow, TicketRow, TicketSyncRow
from bot.storage.ticket_rows import reading, ticket_from_row


class OutboxItem(BaseModel):
    id: int
    ticket_id: int
    backend: str
    operation: Literal["create", "status", "comment"]
    payload: dict[str, Any]
    attempts: int


def enqueue(
    session: AsyncSession,
    ticket_id: int,
    backend: str,
    operation: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """Queue a push to `backend`, in the transaction of the change it carries (and, when
    tracing, the trace it belongs to: the push will be part of it)."""
    session.add(
        OutboxRow(
            ticket_id=ticket_id,
            backend=backend,
            operation=operation,
            payload={**payload, **carrier()},
            state="pending",
            attempts=0,
            next_attempt_at=now,
            locked_until=None,
            last_error=None,
            created_at=now,
        )
    )


class TicketOutbox:
    """Items are delivered per ticket in order; a lease, not a lock, holds an item while a worker
    pushes it, so a worker that dies loses its lease, not the item."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def sync_states(
        self, ticket_id: int, *, session: AsyncSession | None = None
    ) -> list[SyncState]:
        """Per backend: synced (all delivered), pending (something queued) or failed (parked)."""
        async with reading(self._sessions, session) as session:
            synced = (
                await session.scalars(
                    select(TicketSyncRow).where(TicketSyncRow.ticket_id == ticket_id)
                )
            ).all()
            queued = (
                await session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.ticket_id == ticket_id, OutboxRow.state != "done")
                    .order_by(OutboxRow.id)
                )
            ).all()
        states = {
            row.backend: SyncState(
                backend=row.backend,
                state="synced",
                upstream_id=row.upstream_id,
                last_error=row.last_error,
                updated_at=as_utc(row.updated_at),
            )
            for row in synced
        }
        for item in queued:
            current = states.get(item.backend)
            worst = (
                "failed"
                if item.state == "failed" or (current is not None and current.state == "failed")
                else "pending"
            )
            states[item.backend] = SyncState(
                backend=item.backend,
                state=worst,
                upstream_id=current.upstream_id if current else None,
                last_error=(current.last_error if current and current.state != "synced" else None)
                or item.last_error,
                updated_at=as_utc(item.created_at),
            )
        return sorted(states.values(), key=lambda s: s.backend)

    async def claim(
        self, *, backend: str, limit: int = 20, lease: timedelta = timedelta(seconds=60)
    ) -> list[OutboxItem]:
        """Lease up to `limit` due items of one backend, oldest first.

        A ticket's items are delivered in order: only its oldest pending item can be taken.
        The lease is taken with a conditional update, so two workers never take the same item;
        a worker that dies loses its lease, not the item.
        """
        rows = await claim_due(
            self._sessions, OutboxRow, lambda row: row.ticket_id,
            backend=backend, limit=limit, lease=lease,
        )  # fmt: skip
        return [
            OutboxItem(
                id=row.id,
                ticket_id=row.ticket_id,
                backend=row.backend,
                operation=row.operation,
                payload=row.payload,
                attempts=row.attempts,
            )
            for row in rows
        ]

    async def delivered(self, item: OutboxItem, *, upstream_id: str | None = None) -> None:
        now = utcnow()
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id)
                .values(
                    state="done",
                    locked_until=None,
                    attempts=OutboxRow.attempts + 1,
                    last_error=None,
                )
            )
            sync = await session.scalar(
                select(TicketSyncRow).where(
                    TicketSyncRow.ticket_id == item.ticket_id, TicketSyncRow.backend == item.backend
                )
            )
            if sync is None:
                sync = TicketSyncRow(
                    ticket_id=item.ticket_id,
                    backend=item.backend,
                    upstream_id=upstream_id,
                    state="synced",
                    last_error=None,
                    updated_at=now,
                )
                session.add(sync)
            sync.state, sync.last_error, sync.updated_at = "synced", None, now
            if upstream_id is not None:
                sync.upstream_id = upstream_id
            session.add(
                TicketEventRow(
                    ticket_id=item.ticket_id,
                    at=now,
                    actor=f"sync:{item.backend}",
                    kind="synced",
                    data={"operation": item.operation, "upstream_id": sync.upstream_id},
                )
            )

    async def failed(self, item: OutboxItem, *, error: str, retry_at: datetime | None) -> None:
        """Record a failed delivery: retried at `retry_at`, or parked as failed if None."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id)
                .values(
                    state="pending" if retry_at else "failed",
                    attempts=OutboxRow.attempts + 1,
                    next_attempt_at=retry_at or utcnow(),
                    locked_until=None,
                    last_error=error,
                )
            )

    async def upstream_id(self, ticket_id: int, backend: str) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(TicketSyncRow.upstream_id).where(
                    TicketSyncRow.ticket_id == ticket_id, TicketSyncRow.backend == backend
                )
            )

    async def by_upstream(self, backend: str, upstream_id: str) -> Ticket | None:
        async with self._sessions() as session:
            ticket_id = await session.scalar(
                select(TicketSyncRow.ticket_id).where(
                    TicketSyncRow.backend == backend, TicketSyncRow.upstream_id == upstream_id
                )
            )
            row = await session.get(TicketRow, ticket_id) if ticket_id else None
        return ticket_from_row(row) if row else None

    async def cursor(self, backend: str) -> datetime | None:
        async with self._sessions() as session:
            row = await session.get(SyncCursorRow, backend)
        return as_utc(row.since) if row else None

    async def set_cursor(self, backend: str, since: datetime) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(SyncCursorRow, backend)
            if row is None:
                session.add(SyncCursorRow(backend=backend, since=since))
            else:
                row.since = since

    async def pending_count(self, backend: str | None = None) -> int:
        query = select(OutboxRow.id).where(OutboxRow.state == "pending")
        if backend:
            query = query.where(OutboxRow.backend == backend)
        async with self._sessions() as session:
            return len((await session.scalars(query)).all())
