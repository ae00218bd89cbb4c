"""Problem records as Guichet stores them: fields, linked incidents, history; every change
queues its pushes to the ITSM tools in the problem outbox, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.domain import utcnow
from bot.kernel.problems import NewProblem, Problem, ProblemEvent, ProblemNotFound
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.leases import claim_due
from bot.storage.tables import (
    ProblemEventRow,
    ProblemIncidentRow,
    ProblemOutboxRow,
    ProblemRow,
    ProblemSyncRow,
    TicketRow,
    TicketSyncRow,
)


class ProblemOutboxItem(BaseModel):
    id: int
    problem_id: int
    backend: str
    operation: str  # create, update, link, unlink
    payload: dict[str, Any]
    attempts: int


def _problem(row: ProblemRow, incidents: Sequence[str]) -> Problem:
    return Problem(
        id=row.id, reference=row.reference or "", title=row.title, description=row.description,
        status=row.status, root_cause=row.root_cause, workaround_en=row.workaround_en,
        workaround_fr=row.workaround_fr, origin=row.origin, incidents=list(incidents),
        published=row.published, created_by=row.created_by, created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )  # fmt: skip


def _enqueue(
    session: AsyncSession,
    problem_id: int,
    backends: Sequence[str],
    operation: str,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    for backend in backends:
        session.add(
            ProblemOutboxRow(
                problem_id=problem_id, backend=backend, operation=operation, payload=payload,
                state="pending", attempts=0, next_attempt_at=now, locked_until=None,
                last_error=None, created_at=now,
            )
        )  # fmt: skip


class ProblemStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def create(self, new: NewProblem, *, actor: str, backends: Sequence[str] = ()) -> Problem:
        now = utcnow()
        async with self._sessions.begin() as session:
            row = ProblemRow(
                title=new.title,
                description=new.description,
                status="new",
                root_cause="",
                workaround_en="",
                workaround_fr="",
                origin=new.origin,
                published=False,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            row.reference = f"PRB-{row.id:06d}"
            session.add(
                ProblemEventRow(
                    problem_id=row.id,
                    at=now,
                    actor=actor,
                    kind="created",
                    data={"origin": new.origin, "incidents": new.incidents},
                )
            )
            _enqueue(session, row.id, backends, "create", {}, now)
            incidents = list(dict.fromkeys(reference.upper() for reference in new.incidents))
            for reference in incidents:
                session.add(
                    ProblemIncidentRow(
                        problem_id=row.id, ticket_reference=reference, linked_by=actor,
                        linked_at=now,
                    )
                )  # fmt: skip
                _enqueue(session, row.id, backends, "link", {"ticket": reference}, now)
            return _problem(row, incidents)

    @staticmethod
    async def _row(session: AsyncSession, reference: str, lock: bool = False) -> ProblemRow:
        query = select(ProblemRow).where(ProblemRow.reference == reference.upper())
        row = await session.scalar(query.with_for_update() if lock else query)
        if row is None:
            raise ProblemNotFound(reference=reference)
        return row

    @staticmethod
    async def _incidents(session: AsyncSession, problem_id: int) -> list[str]:
        return list(
            (
                await session.scalars(
                    select(ProblemIncidentRow.ticket_reference)
                    .where(ProblemIncidentRow.problem_id == problem_id)
                    .order_by(ProblemIncidentRow.id)
                )
            ).all()
        )

    async def get(self, reference: str) -> Problem:
        async with self._sessions() as session:
            row = await self._row(session, reference)
            return _problem(row, await self._incidents(session, row.id))

    async def by_id(self, problem_id: int) -> Problem:
        async with self._sessions() as session:
            row = await session.get(ProblemRow, problem_id)
            if row is None:
                raise ProblemNotFound(reference=f"#{problem_id}")
            return _problem(row, await self._incidents(session, row.id))

    async def find(
        self, *, statuses: Sequence[str] = (), published: bool | None = None, limit: int = 200
    ) -> list[Problem]:
        query = select(ProblemRow).order_by(ProblemRow.id.desc()).limit(limit)
        if statuses:
            query = query.where(ProblemRow.status.in_(statuses))
        if published is not None:
            query = query.where(ProblemRow.published.is_(published))
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
            links = (
                await session.execute(
                    select(ProblemIncidentRow.problem_id, ProblemIncidentRow.ticket_reference)
                    .where(ProblemIncidentRow.problem_id.in_([r.id for r in rows]))
                    .order_by(ProblemIncidentRow.id)
                )
            ).all() if rows else []  # fmt: skip
        incidents: dict[int, list[str]] = {}
        for problem_id, reference in links:
            incidents.setdefault(problem_id, []).append(reference)
        return [_problem(row, incidents.get(row.id, [])) for row in rows]

    async def of_ticket(self, ticket_reference: str) -> list[str]:
        """The references of the problems an incident is linked to."""
        async with self._sessions() as session:
            found = await session.scalars(
                select(ProblemRow.reference)
                .join(ProblemIncidentRow, ProblemIncidentRow.problem_id == ProblemRow.id)
                .where(ProblemIncidentRow.ticket_reference == ticket_reference.upper())
            )
            return [reference for reference in found.all() if reference]

    async def change(
        self,
        reference: str,
        *,
        actor: str,
        kind: str,
        fields: dict[str, Any],
        backends: Sequence[str] = (),
        push: bool = False,
    ) -> Problem:
        """Set `fields`, record what changed as one event, queue an update upstream if `push`."""
        now = utcnow()
        async with self._sessions.begin() as session:
            row = await self._row(session, reference, lock=True)
            changed = {
                name: {"from": getattr(row, name), "to": value}
                for name, value in fields.items()
                if getattr(row, name) != value
            }
            for name, value in fields.items():
                setattr(row, name, value)
            row.updated_at = now
            session.add(
                ProblemEventRow(problem_id=row.id, at=now, actor=actor, kind=kind, data=changed)
            )
            if push and changed:
                _enqueue(session, row.id, backends, "update", {}, now)
            return _problem(row, await self._incidents(session, row.id))

    async def link(
        self, reference: str, ticket: str, *, actor: str, backends: Sequence[str] = ()
    ) -> tuple[Problem, bool]:
        """Link an incident; False when it was already linked (nothing queued)."""
        now, ticket = utcnow(), ticket.upper()
        async with self._sessions.begin() as session:
            row = await self._row(session, reference, lock=True)
            incidents = await self._incidents(session, row.id)
            if ticket in incidents:
                return _problem(row, incidents), False
            session.add(
                ProblemIncidentRow(
                    problem_id=row.id, ticket_reference=ticket, linked_by=actor, linked_at=now
                )
            )
            session.add(
                ProblemEventRow(
                    problem_id=row.id, at=now, actor=actor, kind="linked", data={"ticket": ticket}
                )
            )
            row.updated_at = now
            _enqueue(session, row.id, backends, "link", {"ticket": ticket}, now)
            return _problem(row, [*incidents, ticket]), True

    async def unlink(
        self, reference: str, ticket: str, *, actor: str, backends: Sequence[str] = ()
    ) -> Problem:
        now, ticket = utcnow(), ticket.upper()
        async with self._sessions.begin() as session:
            row = await self._row(session, reference, lock=True)
            removed = await session.execute(
                delete(ProblemIncidentRow).where(
                    ProblemIncidentRow.problem_id == row.id,
                    ProblemIncidentRow.ticket_reference == ticket,
                )
            )
            if getattr(removed, "rowcount", 0):
                session.add(
                    ProblemEventRow(
                        problem_id=row.id, at=now, actor=actor, kind="unlinked",
                        data={"ticket": ticket},
                    )
                )  # fmt: skip
                row.updated_at = now
                _enqueue(session, row.id, backends, "unlink", {"ticket": ticket}, now)
            return _problem(row, await self._incidents(session, row.id))

    async def history(self, reference: str) -> list[ProblemEvent]:
        async with self._sessions() as session:
            row = await self._row(session, reference)
            rows = (
                await session.scalars(
                    select(ProblemEventRow)
                    .where(ProblemEventRow.problem_id == row.id)
                    .order_by(ProblemEventRow.id)
                )
            ).all()
        return [
            ProblemEvent(at=as_utc(e.at), actor=e.actor, kind=e.kind, data=e.data) for e in rows
        ]

    # -- the outbox ----------------------------------------------------------------------------

    async def claim(
        self, *, backend: str, limit: int = 20, lease: timedelta = timedelta(seconds=60)
    ) -> list[ProblemOutboxItem]:
        """Lease due items of one backend, oldest first, one per problem (delivered in order)."""
        rows = await claim_due(
            self._sessions, ProblemOutboxRow, lambda row: row.problem_id,
            backend=backend, limit=limit, lease=lease,
        )  # fmt: skip
        return [
            ProblemOutboxItem(
                id=row.id,
                problem_id=row.problem_id,
                backend=row.backend,
                operation=row.operation,
                payload=row.payload,
                attempts=row.attempts,
            )
            for row in rows
        ]

    async def delivered(self, item: ProblemOutboxItem, *, upstream_id: str | None) -> None:
        now = utcnow()
        async with self._sessions.begin() as session:
            await session.execute(
                update(ProblemOutboxRow)
                .where(ProblemOutboxRow.id == item.id)
                .values(state="done", locked_until=None, attempts=ProblemOutboxRow.attempts + 1)
            )
            if upstream_id is None:
                return
            sync = await session.scalar(
                select(ProblemSyncRow).where(
                    ProblemSyncRow.problem_id == item.problem_id,
                    ProblemSyncRow.backend == item.backend,
                )
            )
            if sync is None:
                session.add(
                    ProblemSyncRow(
                        problem_id=item.problem_id, backend=item.backend,
                        upstream_id=upstream_id, updated_at=now,
                    )
                )  # fmt: skip
            else:
                sync.upstream_id, sync.updated_at = upstream_id, now

    async def failed(
        self, item: ProblemOutboxItem, *, error: str, retry_at: datetime | None
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ProblemOutboxRow)
                .where(ProblemOutboxRow.id == item.id)
                .values(
                    state="pending" if retry_at else "failed",
                    attempts=ProblemOutboxRow.attempts + 1,
                    next_attempt_at=retry_at or utcnow(),
                    locked_until=None,
                    last_error=error[:2000],
                )
            )

    async def upstream_id(self, problem_id: int, backend: str) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(ProblemSyncRow.upstream_id).where(
                    ProblemSyncRow.problem_id == problem_id, ProblemSyncRow.backend == backend
                )
            )

    async def sync_states(self, problem_id: int) -> dict[str, str]:
        """Per backend: the upstream id, or what the queue says (pending, failed: error)."""
        async with self._sessions() as session:
            synced = (
                await session.scalars(
                    select(ProblemSyncRow).where(ProblemSyncRow.problem_id == problem_id)
                )
            ).all()
            queued = (
                await session.scalars(
                    select(ProblemOutboxRow)
                    .where(
                        ProblemOutboxRow.problem_id == problem_id,
                        ProblemOutboxRow.state != "done",
                    )
                    .order_by(ProblemOutboxRow.id)
                )
            ).all()
        states = {row.backend: row.upstream_id or "" for row in synced}
        for item in queued:
            states[item.backend] = (
                f"{item.state}: {item.last_error}" if item.last_error else item.state
            )
        return states

    async def incident_upstream_id(self, reference: str, backend: str) -> str | None:
        """The upstream id an ITSM tool has for an incident (None until the ticket is synced)."""
        async with self._sessions() as session:
            return await session.scalar(
                select(TicketSyncRow.upstream_id)
                .join(TicketRow, TicketRow.id == TicketSyncRow.ticket_id)
                .where(TicketRow.reference == reference.upper(), TicketSyncRow.backend == backend)
            )
