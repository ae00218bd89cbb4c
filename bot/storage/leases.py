"""Leasing due outbox rows to a sync worker: the one claim both outboxes (tickets' and
problems') share."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kernel.domain import utcnow
from bot.storage.conversations import as_utc


class OutboxLike(Protocol):
    id: Any
    backend: Any
    state: Any
    next_attempt_at: Any
    locked_until: Any


Row = TypeVar("Row", bound=OutboxLike)


async def claim_due(
    sessions: async_sessionmaker[AsyncSession],
    table: type[Row],
    owner: Callable[[Row], int],
    *,
    backend: str,
    limit: int,
    lease: timedelta,
) -> list[Row]:
    """Lease up to `limit` due rows of one backend, oldest first, at most one per owner (a
    ticket or a problem): an owner's items are delivered in order, so only its oldest pending
    one can be taken. The lease is a conditional update, so two workers never take the same
    row; a worker that dies loses its lease, not the row."""
    now = utcnow()
    column: Any = table  # the mapped class: its columns are class attributes
    async with sessions() as session:
        rows = (
            await session.scalars(
                select(table)
                .where(column.backend == backend, column.state == "pending")
                .order_by(column.id)
                .limit(limit * 10)
            )
        ).all()
    seen: set[int] = set()
    claimed: list[Row] = []
    for row in rows:
        if owner(row) in seen:
            continue
        seen.add(owner(row))
        leased = row.locked_until is not None and as_utc(row.locked_until) > now
        if leased or as_utc(row.next_attempt_at) > now:
            continue
        async with sessions.begin() as session:
            taken = await session.execute(
                update(table)
                .where(
                    column.id == row.id,
                    column.state == "pending",
                    or_(column.locked_until.is_(None), column.locked_until <= now),
                )
                .values(locked_until=now + lease)
            )
        if getattr(taken, "rowcount", 0) != 1:
            continue
        claimed.append(row)
        if len(claimed) >= limit:
            break
    return claimed
