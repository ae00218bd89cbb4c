"""Planned maintenance: changes read from the ITSM tools' change calendars become maintenance
notices, and those affected are told beforehand, once each.

`CalendarSync.read_once` stores every change of the calendars (the change pages compare their
window with the weeks before) and keeps one maintenance notice per approved or scheduled
change: published, updated when its window moves, closed when it is cancelled.
`Announcer.announce_due` tells the people a maintenance affects `announce` before its start:
the members of the service's directory group (`changes.service_groups`), else the requesters of
recent tickets on the service; an announcement row per person and maintenance makes it once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.kernel.changes import ANNOUNCED, ChangeCalendar, PlannedChange
from bot.kernel.directory import Directory, DirectoryError
from bot.kernel.domain import Reply
from bot.kernel.i18n import t
from bot.kernel.itsm import BackendError
from bot.kernel.language import Language
from bot.kernel.notices import NewNotice, Notice, window_text
from bot.settings.changes import ChangeSettings
from bot.storage.database import Database
from bot.storage.notices import NoticeStore
from bot.storage.tables import ChangeRow, ConversationRow, MaintenanceAnnouncementRow, TicketRow
from bot.tickets.reach import Reach

log = logging.getLogger("guichet.maintenance")
KEEP_PAST = timedelta(days=90)  # changes read this far back, for their pages


def maintenance_notice(change: PlannedChange) -> NewNotice:
    """The notice of a planned change (its times are written in each reader's zone)."""
    return NewNotice(
        kind="maintenance",
        title_en=f"Planned maintenance: {change.title}"[:200],
        title_fr=f"Maintenance planifiée\u00a0: {change.title}"[:200],
        severity="info",
        tags=[change.service] if change.service else [],
        source=f"change:{change.source}",
        reference=change.reference,
        starts_at=change.starts_at,
        ends_at=change.ends_at,
        service=change.service,
    )


@dataclass(frozen=True)
class SyncReport:
    changes: int = 0
    published: int = 0
    closed: int = 0
    failed: tuple[str, ...] = ()


class CalendarSync:
    def __init__(
        self,
        database: Database,
        notices: NoticeStore,
        calendars: Mapping[str, ChangeCalendar],
    ) -> None:
        self._sessions = database.sessions
        self.notices = notices
        self.calendars = calendars

    async def read_once(self, now: datetime | None = None) -> SyncReport:
        now = now or self.notices.clock()
        stored = published = closed = 0
        failed: list[str] = []
        for name, calendar in self.calendars.items():
            try:
                changes = await calendar.planned_changes(since=now - KEEP_PAST)
            except BackendError as error:
                log.warning("reading the change calendar of %s failed: %s", name, error)
                failed.append(name)
                continue
            for change in changes:
                await self._store(change, now)
                stored += 1
                outcome = await self._notice(change, now)
                published += outcome == "published"
                closed += outcome == "closed"
        return SyncReport(stored, published, closed, tuple(failed))

    async def _store(self, change: PlannedChange, now: datetime) -> None:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(ChangeRow).where(ChangeRow.reference == change.reference)
            )
            if row is None:
                row = ChangeRow(
                    reference=change.reference,
                    kind="change",
                    created_by=f"{change.source}:calendar",
                    created_at=now,
                    title=change.title,
                    deployed_at=change.starts_at,
                )
                session.add(row)
            row.title, row.deployed_at, row.ends_at = change.title, change.starts_at, change.ends_at
            row.source, row.upstream_id = change.source, change.upstream_id
            row.service, row.state, row.url = change.service, change.state, change.url

    async def _notice(self, change: PlannedChange, now: datetime) -> str | None:
        current = await self.notices.by_reference(change.reference)
        is_open = current is not None and current.status == "active"
        if change.state not in ANNOUNCED or change.ends_at <= now:
            if is_open and current is not None and change.state == "cancelled":
                await self.notices.close(current.id)
                return "closed"
            return None
        wanted = maintenance_notice(change)
        if current is None:
            await self.notices.publish(wanted)
            return "published"
        if is_open and (current.starts_at, current.ends_at, current.title_en) != (
            wanted.starts_at,
            wanted.ends_at,
            wanted.title_en,
        ):
            # The change moved: the same notice, with a new window (announced again).
            await self.notices.update(current.id, wanted)
            async with self._sessions.begin() as session:
                await session.execute(
                    delete(MaintenanceAnnouncementRow).where(
                        MaintenanceAnnouncementRow.notice_id == current.id
                    )
                )
        return None

    async def aclose(self) -> None:
        for calendar in self.calendars.values():
            await calendar.aclose()


@dataclass(frozen=True)
class Affected:
    email: str
    language: Language
    zone: str | None


class Announcer:
    def __init__(
        self,
        database: Database,
        notices: NoticeStore,
        directory: Directory,
        reach: Reach,
        settings: ChangeSettings,
        *,
        default_language: Language,
        default_zone: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._sessions = database.sessions
        self.notices = notices
        self.directory = directory
        self.reach = reach
        self.settings = settings
        self.default_language = default_language
        self.default_zone = default_zone
        self._clock = clock

    def now(self) -> datetime:
        return self._clock() if self._clock else self.notices.clock()

    async def announce_due(self) -> int:
        """Announce the maintenance starting within `announce_hours`; returns messages sent."""
        now = self.now()
        ahead = timedelta(hours=self.settings.announce_hours)
        sent = 0
        for notice in await self.notices.list_active():
            if notice.kind != "maintenance" or notice.starts_at is None:
                continue
            if not notice.starts_at - ahead <= now < notice.starts_at:
                continue
            for person in await self.affected(notice):
                sent += await self._announce(notice, person, now)
        return sent

    async def affected(self, notice: Notice) -> list[Affected]:
        """Who a maintenance affects: the service's directory group, else recent requesters."""
        service = (notice.service or "").strip()
        if not service:
            return []
        groups = {k.casefold(): v for k, v in self.settings.service_groups.items()}
        group = groups.get(service.casefold())
        if group:
            try:
                members = await self.directory.members(group)
            except DirectoryError as error:
                log.warning("members of %s unavailable: %s", group, error)
                members = []
            people = {m.email.casefold(): (m.email, m.language) for m in members if not m.disabled}
            found = [(email, language) for email, language in people.values()]
        else:
            found = await self._recent_requesters(service, self.now())
        zones = await self._zones([email for email, _ in found])
        return [
            Affected(
                email=email,
                language=(language if language in ("fr", "en") else self.default_language),  # type: ignore[arg-type]
                zone=zones.get(email.casefold()) or self.default_zone,
            )
            for email, language in found
        ]

    async def _recent_requesters(self, service: str, now: datetime) -> list[tuple[str, str | None]]:
        since = now - timedelta(days=self.settings.recent_ticket_days)
        wanted = service.casefold()
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(
                        TicketRow.requester, TicketRow.language, TicketRow.title, TicketRow.category
                    )
                    .where(TicketRow.created_at >= since)
                    .order_by(TicketRow.created_at.desc())
                )
            ).all()
        found: dict[str, tuple[str, str | None]] = {}
        for requester, language, title, category in rows:
            if category.casefold() == wanted or wanted in str(title).casefold().split():
                found.setdefault(requester.casefold(), (requester, language))
        return list(found.values())

    async def _zones(self, emails: list[str]) -> dict[str, str]:
        """Each person's zone, as their latest conversation knows it."""
        if not emails:
            return {}
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(ConversationRow.user_id, ConversationRow.state)
                    .where(ConversationRow.user_id.in_(emails))
                    .order_by(ConversationRow.updated_at)
                )
            ).all()
        return {
            user.casefold(): state["timezone"]
            for user, state in rows
            if isinstance(state, dict) and state.get("timezone")
        }

    async def _announce(self, notice: Notice, person: Affected, now: datetime) -> int:
        try:
            async with self._sessions.begin() as session:
                session.add(
                    MaintenanceAnnouncementRow(
                        notice_id=notice.id, email=person.email.casefold(), sent_at=now
                    )
                )
        except IntegrityError:
            return 0  # told already
        try:
            await self.reach.send(person.email, [announcement(notice, person, now)])
        except Exception:
            async with self._sessions.begin() as session:  # not told: the next round retries
                await session.execute(
                    delete(MaintenanceAnnouncementRow).where(
                        MaintenanceAnnouncementRow.notice_id == notice.id,
                        MaintenanceAnnouncementRow.email == person.email.casefold(),
                    )
                )
            raise
        return 1


def announcement(notice: Notice, person: Affected, now: datetime) -> Reply:
    language = person.language
    text = t(
        "{title} ({service}), {window}. No need to open a ticket about it.",
        language,
        service=notice.service or "",
        title=notice.title(language),
        window=window_text(notice, language, person.zone, now),
    )
    return Reply(text=text)


class MaintenanceRounds:
    """What the sync worker runs each round: the calendars read every `interval`, and the
    maintenance due announced."""

    def __init__(
        self, sync: CalendarSync | None, announcer: Announcer, *, interval: timedelta
    ) -> None:
        self.sync = sync
        self.announcer = announcer
        self.interval = interval
        self._read_at: float | None = None

    async def run_due(self) -> None:
        now = time.monotonic()
        if self.sync is not None and (
            self._read_at is None or now - self._read_at >= self.interval.total_seconds()
        ):
            self._read_at = now
            await self.sync.read_once()
        await self.announcer.announce_due()

    async def aclose(self) -> None:
        if self.sync is not None:
            await self.sync.aclose()
