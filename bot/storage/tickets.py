"""Tickets as Guichet stores them: fields, history, comments, sync state and the outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from pydantic import BaseModel
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.domain import utcnow
from bot.kernel.errors import TicketNotFound
from bot.kernel.ticket_models import Comment, Event, NewTicket, SyncState, Ticket
from bot.kernel.tickets import OPEN_STATUSES
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import (
    EscalationRow,
    OutboxRow,
    SyncCursorRow,
    TicketCommentRow,
    TicketEventRow,
    TicketRow,
    TicketSyncRow,
)

_PREFIX: dict[str, str] = {"incident": "INC", "request": "REQ"}


class OutboxItem(BaseModel):
    id: int
    ticket_id: int
    backend: str
    operation: Literal["create", "status", "comment"]
    payload: dict[str, Any]
    attempts: int


def _aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment else None


def _ticket(row: TicketRow) -> Ticket:
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


class WriteHook(Protocol):
    """Writes of its own that commit or roll back with a ticket write (an idempotency key and
    the response it got): `before` runs first in the write's transaction, `after` last."""

    async def before(self, session: AsyncSession) -> None: ...

    async def after(self, session: AsyncSession, ticket: Ticket) -> None: ...


class TicketStore:
    """Every write records an event; pushes to ITSM backends go through the outbox, in the same
    transaction as the change, so nothing is lost or sent twice."""

    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    @asynccontextmanager
    async def _reading(self, session: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        """`session` when a write's transaction reads what it wrote, else a session of its own."""
        if session is not None:
            yield session
            return
        async with self._sessions() as own:
            yield own

    # -- tickets ------------------------------------------------------------------------------

    async def create(
        self,
        new: NewTicket,
        *,
        actor: str | None = None,
        due: tuple[datetime, datetime] | None = None,
        backends: Sequence[str] = (),
        now: datetime | None = None,
        hook: WriteHook | None = None,
    ) -> Ticket:
        now = now or utcnow()
        async with self._sessions.begin() as session:
            if hook is not None:
                await hook.before(session)
            row = TicketRow(**new.model_dump(), created_at=now, updated_at=now)
            if due is not None:
                row.first_response_due, row.resolution_due = due
            session.add(row)
            await session.flush()
            row.reference = f"{_PREFIX[new.kind]}-{row.id:06d}"
            ticket = _ticket(row)
            session.add(
                TicketEventRow(
                    ticket_id=row.id,
                    at=now,
                    actor=actor or new.requester,
                    kind="created",
                    data={"status": new.status, "priority": new.priority},
                )
            )
            for backend in backends:
                self._enqueue(session, ticket.id, backend, "create", {}, now)
            if hook is not None:
                await hook.after(session, ticket)
        return ticket

    async def get(self, reference: str) -> Ticket:
        async with self._sessions() as session:
            return _ticket(await self._row(session, reference))

    @staticmethod
    async def _row(session: AsyncSession, reference: str, lock: bool = False) -> TicketRow:
        query = select(TicketRow).where(TicketRow.reference == reference.upper())
        row = await session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise TicketNotFound(reference=reference)
        return row

    async def by_id(self, ticket_id: int) -> Ticket:
        async with self._sessions() as session:
            row = await session.get(TicketRow, ticket_id)
        if row is None:
            raise TicketNotFound(reference=f"#{ticket_id}")
        return _ticket(row)

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
        query = select(TicketRow).order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
        if requester is not None:
            query = query.where(TicketRow.requester == requester)
        if statuses:
            query = query.where(TicketRow.status.in_(statuses))
        if parent is not None:
            query = query.where(TicketRow.parent_reference == parent)
        if kind is not None:
            query = query.where(TicketRow.kind == kind)
        if since is not None:
            query = query.where(TicketRow.created_at >= since)
        async with self._sessions() as session:
            rows = (await session.scalars(query.limit(limit))).all()
        return [_ticket(row) for row in rows]

    async def open_for(self, requester: str) -> list[Ticket]:
        return await self.find(requester=requester, statuses=OPEN_STATUSES)

    async def change(
        self,
        reference: str,
        *,
        actor: str,
        kind: str,
        fields: dict[str, Any],
        backends: Sequence[str] = (),
        push: dict[str, Any] | None = None,
        hook: WriteHook | None = None,
    ) -> Ticket:
        """Set `fields`, record what changed as one event, and queue `push` for the backends."""
        now = utcnow()
        async with self._sessions.begin() as session:
            if hook is not None:
                await hook.before(session)
            row = await self._row(session, reference, lock=True)
            before = {name: getattr(row, name) for name in fields}
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = now
            changed = {
                name: {"from": _jsonable(before[name]), "to": _jsonable(value)}
                for name, value in fields.items()
                if before[name] != value
            }
            session.add(
                TicketEventRow(ticket_id=row.id, at=now, actor=actor, kind=kind, data=changed)
            )
            if push is not None:
                for backend in backends:
                    self._enqueue(session, row.id, backend, kind, push, now)
            ticket = _ticket(row)
            if hook is not None:
                await hook.after(session, ticket)
            return ticket

    async def comment(
        self,
        reference: str,
        *,
        author: str,
        body: str,
        public: bool = True,
        origin: str = "guichet",
        backends: Sequence[str] = (),
        first_response: bool = False,
        hook: WriteHook | None = None,
    ) -> Ticket:
        now = utcnow()
        async with self._sessions.begin() as session:
            if hook is not None:
                await hook.before(session)
            row = await self._row(session, reference, lock=True)
            session.add(
                TicketCommentRow(
                    ticket_id=row.id, at=now, author=author, body=body, public=public, origin=origin
                )
            )
            session.add(
                TicketEventRow(
                    ticket_id=row.id,
                    at=now,
                    actor=author,
                    kind="comment",
                    data={"public": public, "origin": origin},
                )
            )
            if first_response and row.first_response_at is None:
                row.first_response_at = now
            row.updated_at = now
            for backend in backends:
                self._enqueue(
                    session, row.id, backend, "comment", {"body": body, "author": author}, now
                )
            ticket = _ticket(row)
            if hook is not None:
                await hook.after(session, ticket)
            return ticket

    async def comments(
        self, reference: str, *, session: AsyncSession | None = None
    ) -> list[Comment]:
        async with self._reading(session) as session:
            row = await self._row(session, reference)
            rows = (
                await session.scalars(
                    select(TicketCommentRow)
                    .where(TicketCommentRow.ticket_id == row.id)
                    .order_by(TicketCommentRow.id)
                )
            ).all()
        return [
            Comment(at=as_utc(c.at), author=c.author, body=c.body, public=c.public, origin=c.origin)
            for c in rows
        ]

    async def history(self, reference: str, *, session: AsyncSession | None = None) -> list[Event]:
        async with self._reading(session) as session:
            row = await self._row(session, reference)
            rows = (
                await session.scalars(
                    select(TicketEventRow)
                    .where(TicketEventRow.ticket_id == row.id)
                    .order_by(TicketEventRow.id)
                )
            ).all()
        return [Event(at=as_utc(e.at), actor=e.actor, kind=e.kind, data=e.data) for e in rows]

    # -- escalations --------------------------------------------------------------------------

    async def escalate(
        self, *, conversation_id: str, requester: str, reason: str, summary: dict[str, Any]
    ) -> int:
        """One open escalation per conversation: asking again refreshes what the agent sees."""
        async with self._sessions.begin() as session:
            open_one = await session.scalar(
                select(EscalationRow)
                .where(
                    EscalationRow.conversation_id == conversation_id,
                    EscalationRow.status.in_(("waiting", "taken")),
                )
                .order_by(EscalationRow.id.desc())
                .limit(1)
            )
            if open_one is not None:
                open_one.summary = summary
                return open_one.id
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

    # -- sync state and outbox ----------------------------------------------------------------

    @staticmethod
    def _enqueue(
        session: AsyncSession,
        ticket_id: int,
        backend: str,
        operation: str,
        payload: dict[str, Any],
        now: datetime,
    ) -> None:
        session.add(
            OutboxRow(
                ticket_id=ticket_id,
                backend=backend,
                operation=operation,
                payload=payload,
                state="pending",
                attempts=0,
                next_attempt_at=now,
                locked_until=None,
                last_error=None,
                created_at=now,
            )
        )

    async def sync_states(
        self, ticket_id: int, *, session: AsyncSession | None = None
    ) -> list[SyncState]:
        """Per backend: synced (all delivered), pending (something queued) or failed (parked)."""
        async with self._reading(session) as session:
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
        now = utcnow()
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxRow)
                    .where(OutboxRow.backend == backend, OutboxRow.state == "pending")
                    .order_by(OutboxRow.id)
                    .limit(limit * 10)
                )
            ).all()
        seen: set[int] = set()
        claimed: list[OutboxItem] = []
        for row in rows:
            if row.ticket_id in seen:
                continue
            seen.add(row.ticket_id)
            leased = row.locked_until is not None and as_utc(row.locked_until) > now
            if leased or as_utc(row.next_attempt_at) > now:
                continue
            async with self._sessions.begin() as session:
                taken = await session.execute(
                    update(OutboxRow)
                    .where(
                        OutboxRow.id == row.id,
                        OutboxRow.state == "pending",
                        or_(OutboxRow.locked_until.is_(None), OutboxRow.locked_until <= now),
                    )
                    .values(locked_until=now + lease)
                )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue
            claimed.append(
                OutboxItem(
                    id=row.id,
                    ticket_id=row.ticket_id,
                    backend=row.backend,
                    operation=row.operation,
                    payload=row.payload,
                    attempts=row.attempts,
                )
            )
            if len(claimed) >= limit:
                break
        return claimed

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
        return _ticket(row) if row else None

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


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
