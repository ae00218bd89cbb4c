"""Tickets as Guichet stores them: fields, history, comments and escalations; every change
queues its pushes in the outbox (bot/storage/outbox.py) in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.domain import utcnow
from bot.kernel.errors import TicketNotFound
from bot.kernel.ticket_models import Comment, Event, NewTicket, Ticket
from bot.kernel.tickets import OPEN_STATUSES
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.outbox import TicketOutbox, enqueue
from bot.storage.tables import (
    EscalationRow,
    TicketCommentRow,
    TicketEventRow,
    TicketRow,
)
from bot.storage.ticket_rows import reading, ticket_from_row

_PREFIX: dict[str, str] = {"incident": "INC", "request": "REQ"}


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
        self.outbox = TicketOutbox(database)

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
            ticket = ticket_from_row(row)
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
                enqueue(session, ticket.id, backend, "create", {}, now)
            if hook is not None:
                await hook.after(session, ticket)
        return ticket

    async def get(self, reference: str) -> Ticket:
        async with self._sessions() as session:
            return ticket_from_row(await self._row(session, reference))

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
        return ticket_from_row(row)

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
        return [ticket_from_row(row) for row in rows]

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
                    enqueue(session, row.id, backend, kind, push, now)
            ticket = ticket_from_row(row)
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
                enqueue(session, row.id, backend, "comment", {"body": body, "author": author}, now)
            ticket = ticket_from_row(row)
            if hook is not None:
                await hook.after(session, ticket)
            return ticket

    async def comments(
        self, reference: str, *, internal: bool = False, session: AsyncSession | None = None
    ) -> list[Comment]:
        """The public comments; the agents' internal notes too when `internal` (for the
        service desk's eyes only: never for a requester)."""
        query = select(TicketCommentRow).order_by(TicketCommentRow.id)
        if not internal:
            query = query.where(TicketCommentRow.public.is_(True))
        async with reading(self._sessions, session) as session:
            row = await self._row(session, reference)
            rows = (await session.scalars(query.where(TicketCommentRow.ticket_id == row.id))).all()
        return [
            Comment(at=as_utc(c.at), author=c.author, body=c.body, public=c.public, origin=c.origin)
            for c in rows
        ]

    async def history(
        self, reference: str, *, internal: bool = False, session: AsyncSession | None = None
    ) -> list[Event]:
        """What happened to the ticket; the internal notes' events only when `internal`."""
        async with reading(self._sessions, session) as session:
            row = await self._row(session, reference)
            rows = (
                await session.scalars(
                    select(TicketEventRow)
                    .where(TicketEventRow.ticket_id == row.id)
                    .order_by(TicketEventRow.id)
                )
            ).all()
        return [
            Event(at=as_utc(e.at), actor=e.actor, kind=e.kind, data=e.data)
            for e in rows
            if internal or not _internal_note(e)
        ]

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

    async def takeovers(self, since: datetime) -> list[tuple[datetime, datetime]]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(EscalationRow.created_at, EscalationRow.taken_at)
                    .where(EscalationRow.created_at >= since, EscalationRow.taken_at.is_not(None))
                    .order_by(EscalationRow.created_at)
                )
            ).all()
        return [(as_utc(created), as_utc(taken)) for created, taken in rows if taken is not None]


def _internal_note(event: TicketEventRow) -> bool:
    return event.kind == "comment" and event.data.get("public") is False


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
