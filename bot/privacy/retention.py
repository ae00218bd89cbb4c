"""Retention: transcripts older than `GUICHET_PRIVACY__RETENTION_DAYS` are deleted.

What goes: turns older than the cut-off; conversations idle since before it (their state, slots
and hand-off requests with them) unless a ticket still open came from them; notifications created
before it. What stays: tickets, with
their fields, history and comments (the service desk's record), but the copy of the chat
transcript a ticket or a hand-off was created with is removed once the ticket is older than the
cut-off, and `transcript_purged_at` says when.

Expired idempotency keys of ticket writes (bot.storage.idempotency) go too, whatever the
retention period: their lifetime is their own (`GUICHET_TICKETS__IDEMPOTENCY_KEY_HOURS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select

from bot.kernel.domain import utcnow
from bot.settings.privacy import PrivacySettings
from bot.storage.database import Database
from bot.storage.idempotency import IdempotencyStore
from bot.storage.tables import (
    ConversationRow,
    EscalationRow,
    NotificationRow,
    TicketRow,
    TurnRow,
)

log = logging.getLogger("guichet.retention")
BATCH = 500
FINAL_STATUSES = ("closed", "rejected")


class PurgeReport(BaseModel):
    cutoff: datetime
    turns: int = 0
    conversations: int = 0
    notifications: int = 0
    ticket_transcripts: int = 0
    escalation_transcripts: int = 0
    idempotency_keys: int = 0


def cutoff_for(settings: PrivacySettings, now: datetime | None = None) -> datetime | None:
    """The moment before which transcripts go; None when they are kept forever."""
    if settings.retention_days == 0:
        return None
    return (now or utcnow()) - timedelta(days=settings.retention_days)


def _without_transcript(data: dict[str, Any], now: datetime) -> dict[str, Any]:
    kept = {key: value for key, value in data.items() if key != "transcript"}
    return {**kept, "transcript_purged_at": now.isoformat()}


async def purge(database: Database, cutoff: datetime) -> PurgeReport:
    """Delete what is older than `cutoff`; safe to run from several processes at once."""
    report = PurgeReport(cutoff=cutoff)
    now = utcnow()
    async with database.sessions.begin() as session:
        report.turns = _count(await session.execute(delete(TurnRow).where(TurnRow.at < cutoff)))
        # An open ticket still notifies its requester in the conversation it came from.
        open_tickets = select(TicketRow.conversation_id).where(
            TicketRow.conversation_id.is_not(None), TicketRow.status.not_in(FINAL_STATUSES)
        )
        idle = select(ConversationRow.id).where(
            ConversationRow.updated_at < cutoff, ConversationRow.id.not_in(open_tickets)
        )
        # Deleted explicitly: SQLite enforces ON DELETE CASCADE only with its pragma.
        await session.execute(delete(TurnRow).where(TurnRow.conversation_id.in_(idle)))
        await session.execute(delete(EscalationRow).where(EscalationRow.conversation_id.in_(idle)))
        report.conversations = _count(
            await session.execute(delete(ConversationRow).where(ConversationRow.id.in_(idle)))
        )
        report.notifications = _count(
            await session.execute(
                delete(NotificationRow).where(NotificationRow.created_at < cutoff)
            )
        )
    report.ticket_transcripts = await _trim(database, TicketRow, "details", cutoff, now)
    report.escalation_transcripts = await _trim(database, EscalationRow, "summary", cutoff, now)
    report.idempotency_keys = await IdempotencyStore(database).purge_expired(now=now)
    return report


async def _trim(
    database: Database,
    table: type[TicketRow] | type[EscalationRow],
    column: str,
    cutoff: datetime,
    now: datetime,
) -> int:
    """Remove the transcript copy from the JSON `column` of rows created before `cutoff`."""
    trimmed, after = 0, 0
    while True:
        async with database.sessions.begin() as session:
            rows: Sequence[TicketRow | EscalationRow] = (
                await session.scalars(
                    select(table)
                    .where(table.created_at < cutoff, table.id > after)
                    .order_by(table.id)
                    .limit(BATCH)
                )
            ).all()  # type: ignore[assignment]
            for row in rows:
                data = getattr(row, column)
                if "transcript" in data:
                    setattr(row, column, _without_transcript(data, now))
                    trimmed += 1
        if len(rows) < BATCH:
            return trimmed
        after = rows[-1].id


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_due(database: Database, settings: PrivacySettings) -> PurgeReport | None:
    cutoff = cutoff_for(settings)
    return None if cutoff is None else await purge(database, cutoff)


async def run_purges(database: Database, settings: PrivacySettings, stop: asyncio.Event) -> None:
    """Purge at start and then every `purge_interval_hours` until `stop`; failures are logged."""
    while not stop.is_set():
        try:
            report = await purge_due(database, settings)
            if report is not None and (report.turns or report.conversations):
                log.info("retention purge: %s", report.model_dump_json())
            if report is None:  # transcripts kept forever; expired idempotency keys still go
                await IdempotencyStore(database).purge_expired(now=utcnow())
        except Exception:
            log.exception("retention purge failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.purge_interval_hours * 3600)
