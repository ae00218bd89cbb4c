"""Idempotency keys of ticket writes: the response a keyed request got, to replay on a retry.

A key is claimed inside the transaction of the write it guards (`KeyClaim` is the ticket
store's `WriteHook`), so the key, the ticket change, its outbox jobs and the recorded response
commit together or not at all. Two requests with one key: the unique index lets one claim it;
on PostgreSQL the other's insert waits for the first transaction and then fails, and the
caller replays what the first one recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kernel.errors import IdempotencyKeyInProgress
from bot.kernel.ticket_models import Ticket
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import IdempotencyKeyRow


@dataclass(frozen=True)
class KeyScope:
    """A key belongs to one caller and one route (method and path template)."""

    user_id: int
    route: str
    key: str


@dataclass(frozen=True)
class RecordedResponse:
    fingerprint: str
    status_code: int
    body: str
    ticket_id: int | None
    expires_at: datetime


# Builds the response inside the write's transaction: (status code, JSON body).
Responder = Callable[[AsyncSession, Ticket], Awaitable[tuple[int, str]]]


class IdempotencyStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def find(self, scope: KeyScope, *, now: datetime) -> RecordedResponse | None:
        """The response recorded for `scope`, unless it expired."""
        async with self._sessions() as session:
            row = await session.scalar(_matching(scope))
        if row is None or as_utc(row.expires_at) <= now:
            return None
        return RecordedResponse(
            fingerprint=row.fingerprint,
            status_code=row.status_code,
            body=row.response,
            ticket_id=row.ticket_id,
            expires_at=as_utc(row.expires_at),
        )

    def claim(
        self,
        scope: KeyScope,
        *,
        fingerprint: str,
        now: datetime,
        expires_at: datetime,
        respond: Responder,
    ) -> KeyClaim:
        return KeyClaim(
            scope, fingerprint=fingerprint, now=now, expires_at=expires_at, respond=respond
        )

    async def purge_expired(self, *, now: datetime) -> int:
        """Delete the keys that expired before `now`; their requests may be sent again."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(IdempotencyKeyRow).where(IdempotencyKeyRow.expires_at <= now)
            )
        return int(getattr(result, "rowcount", 0) or 0)


def _matching(scope: KeyScope) -> Select[IdempotencyKeyRow]:
    return select(IdempotencyKeyRow).where(
        IdempotencyKeyRow.user_id == scope.user_id,
        IdempotencyKeyRow.route == scope.route,
        IdempotencyKeyRow.key == scope.key,
    )


class KeyClaim:
    """The `WriteHook` of one keyed write; `response` holds what it recorded once committed."""

    def __init__(
        self,
        scope: KeyScope,
        *,
        fingerprint: str,
        now: datetime,
        expires_at: datetime,
        respond: Responder,
    ) -> None:
        self.scope = scope
        self._row = IdempotencyKeyRow(
            user_id=scope.user_id,
            route=scope.route,
            key=scope.key,
            fingerprint=fingerprint,
            status_code=0,  # until `after`: nobody sees the row before the transaction commits
            response="",
            ticket_id=None,
            created_at=now,
            expires_at=expires_at,
        )
        self._now = now
        self._respond = respond
        self.response: tuple[int, str] | None = None

    async def before(self, session: AsyncSession) -> None:
        """Take the key first, before the write locks or inserts anything."""
        await session.execute(
            delete(IdempotencyKeyRow).where(
                IdempotencyKeyRow.user_id == self.scope.user_id,
                IdempotencyKeyRow.route == self.scope.route,
                IdempotencyKeyRow.key == self.scope.key,
                IdempotencyKeyRow.expires_at <= self._now,
            )
        )
        session.add(self._row)
        try:
            await session.flush()
        except IntegrityError:
            # Another request holds the key; the transaction rolls back with this error.
            raise IdempotencyKeyInProgress(key=self.scope.key, route=self.scope.route) from None

    async def after(self, session: AsyncSession, ticket: Ticket) -> None:
        status_code, body = await self._respond(session, ticket)
        self._row.status_code, self._row.response = status_code, body
        self._row.ticket_id = ticket.id
        self.response = (status_code, body)
