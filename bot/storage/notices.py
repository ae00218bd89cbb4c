"""Incident notices: "Outlook is down in Lyon, we're on it", in French and English.

Outage grouping and the agent console publish them; suggestions show the active ones first when
they match what the employee types. Readers keep a short-lived copy of the active notices
(`active`), refreshed at once by a write of this process and within `ttl` of another's.

A planned maintenance (kind "maintenance", from a change calendar or the console) is active
from its publication, but `active` gives it only during its window and `show_ahead` before it,
by `clock` (which tests set).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.kernel.domain import utcnow
from bot.kernel.notices import NewNotice, Notice, NoticeNotFound
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import IncidentNoticeRow

# Told of every publish, update and close, once written (the broadcaster tells people).
log = logging.getLogger(__name__)
NoticeListener = Callable[[Notice], Awaitable[None]]


def _notice(row: IncidentNoticeRow) -> Notice:
    return Notice(
        id=row.id,
        status=row.status,
        severity=row.severity,
        title_en=row.title_en,
        title_fr=row.title_fr,
        body_en=row.body_en,
        body_fr=row.body_fr,
        tags=list(row.tags),
        url=row.url,
        source=row.source,
        reference=row.reference,
        sites=list(row.sites or []),
        departments=list(row.departments or []),
        version=row.version,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        closed_at=as_utc(row.closed_at) if row.closed_at else None,
        kind=row.kind,
        starts_at=as_utc(row.starts_at) if row.starts_at else None,
        ends_at=as_utc(row.ends_at) if row.ends_at else None,
        service=row.service,
    )


class NoticeStore:
    def __init__(
        self,
        database: Database,
        *,
        ttl: float = 5.0,
        show_ahead: timedelta = timedelta(0),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = database.sessions
        self._ttl = ttl
        self._cached: tuple[float, list[Notice]] | None = None
        self.listeners: list[NoticeListener] = []
        self.show_ahead = show_ahead
        self.clock = clock
        self._shown: tuple[tuple[tuple[int, str | None], ...], list[Notice]] = ((), [])

    async def _changed(self, notice: Notice) -> None:
        self._cached = None
        for listener in self.listeners:
            try:
                await listener(notice)
            except Exception:  # stored: the dispatcher's catch-up round tells people later
                log.exception("notice %s: a listener failed", notice.id)

    async def publish(self, new: NewNotice) -> Notice:
        """Create a notice, active at once."""
        now = utcnow()
        async with self._sessions.begin() as session:
            row = IncidentNoticeRow(
                **new.model_dump(),
                status="active",
                version=1,
                announced_version=0,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            notice = _notice(row)
        await self._changed(notice)
        return notice

    async def update(self, notice_id: int, new: NewNotice) -> Notice:
        """Change the text of a notice (the situation evolved)."""
        async with self._sessions.begin() as session:
            row = await session.get(IncidentNoticeRow, notice_id)
            if row is None:
                raise NoticeNotFound(notice_id=notice_id)
            for name, value in new.model_dump().items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            row.version += 1
            notice = _notice(row)
        await self._changed(notice)
        return notice

    async def close(self, notice_id: int) -> Notice:
        """The incident is over: the notice is no longer shown."""
        async with self._sessions.begin() as session:
            row = await session.get(IncidentNoticeRow, notice_id)
            if row is None:
                raise NoticeNotFound(notice_id=notice_id)
            changed = row.status != "closed"
            if changed:
                row.status = "closed"
                row.updated_at = row.closed_at = utcnow()
                row.version += 1
            notice = _notice(row)
        if changed:
            await self._changed(notice)
        return notice

    async def get(self, notice_id: int) -> Notice:
        async with self._sessions() as session:
            row = await session.get(IncidentNoticeRow, notice_id)
        if row is None:
            raise NoticeNotFound(notice_id=notice_id)
        return _notice(row)

    async def list_active(self) -> list[Notice]:
        """Active notices, newest first, read from the database."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(IncidentNoticeRow)
                    .where(IncidentNoticeRow.status == "active")
                    .order_by(IncidentNoticeRow.created_at.desc(), IncidentNoticeRow.id.desc())
                )
            ).all()
        return [_notice(row) for row in rows]

    async def recent(self, *, limit: int = 100) -> list[Notice]:
        """Active and closed notices, newest first (the console's list)."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(IncidentNoticeRow)
                    .order_by(IncidentNoticeRow.created_at.desc(), IncidentNoticeRow.id.desc())
                    .limit(limit)
                )
            ).all()
        return [_notice(row) for row in rows]

    async def active(self) -> list[Notice]:
        """Active notices to show now (a maintenance in or just before its window), from a copy
        at most `ttl` seconds old (suggestions ask per keystroke)."""
        if self._cached is None or time.monotonic() - self._cached[0] >= self._ttl:
            notices = await self.list_active()
            if self._cached is not None and self._cached[1] == notices:
                notices = self._cached[1]  # the same object while nothing changed
            self._cached = (time.monotonic(), notices)
        return self._showing(self._cached[1])

    def _showing(self, notices: list[Notice]) -> list[Notice]:
        """Those shown now; the same list object while neither they nor their phases changed
        (the suggestion cache keys on it)."""
        now = self.clock()
        shown = [n for n in notices if n.shown_at(now, ahead=self.show_ahead)]
        key = tuple((n.id, f"{n.updated_at.isoformat()}/{n.phase(now)}") for n in shown)
        if key != self._shown[0]:
            self._shown = (key, shown)
        return self._shown[1]

    async def by_reference(self, reference: str) -> Notice | None:
        """The latest notice published for `reference` (a change's number, a ticket)."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(IncidentNoticeRow)
                .where(IncidentNoticeRow.reference == reference)
                .order_by(IncidentNoticeRow.id.desc())
                .limit(1)
            )
        return _notice(row) if row is not None else None
