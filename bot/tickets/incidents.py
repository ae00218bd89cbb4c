"""Major incidents that reach people: each version of a notice (published, updated, closed) is
pushed once to whom it concerns, and resolving a parent incident resolves its children.

Whom a notice concerns: the requesters of the tickets linked to it (the parent incident its
`reference` names and that parent's children), the employees who subscribed to it from the
omnibox, and, when the notice names sites or departments and the directory knows people's, the
employees of those sites or departments who have talked to Guichet. Each is told on the channel
they used last, in their language. A row per (notice, version, person), written in the same
transaction as the queued message, makes it once: a retry, a second process or the catch-up
round after a crash finds the row and sends nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.addresses import normalise_email
from bot.kernel.directory import Directory, DirectoryError
from bot.kernel.domain import Link, Reply, utcnow
from bot.kernel.errors import NotFound
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.notices import Notice
from bot.kernel.ticket_models import Ticket
from bot.kernel.tickets import OPEN_STATUSES
from bot.storage.database import Database
from bot.storage.notices import NoticeStore
from bot.storage.tables import (
    IncidentNoticeRow,
    NoticeDeliveryRow,
    NoticeSubscriptionRow,
)
from bot.tickets.notify import TicketNotifier
from bot.tickets.reach import Reach
from bot.tickets.service import TicketService

log = logging.getLogger(__name__)

MAX_CHILDREN = 5000


def notice_message(notice: Notice, language: Language) -> Reply:
    """What a person is told of one version of a notice."""
    title, body = notice.title(language), notice.body(language)
    if notice.status == "closed":
        head = t('Incident over: "{title}".', language, title=title)
        tail = t("If something still does not work for you, tell me.", language)
    elif notice.version == 1:
        head, tail = title, t("I'll tell you here when it changes.", language)
    else:
        head, tail = t('Update on the incident "{title}".', language, title=title), ""
    text = "\n".join(part for part in (head, body, tail) if part)
    links = [Link(title=title, url=notice.url)] if notice.url else []
    return Reply(text=text, links=links)


class IncidentBroadcaster:
    """Tells a notice's people about each of its versions, once."""

    def __init__(
        self,
        database: Database,
        notices: NoticeStore,
        tickets: TicketService,
        reach: Reach,
        directory: Directory | None = None,
    ) -> None:
        self._sessions = database.sessions
        self.notices = notices
        self.tickets = tickets
        self.reach = reach
        self.directory = directory

    async def listen(self, notice: Notice) -> None:
        """The notice store's listener: each version written is announced at once."""
        await self.announce(notice)

    async def announce(self, notice: Notice) -> int:
        """Queue this version of the notice for whoever was not told yet; how many were."""
        told = 0
        for email, (known, fallback) in (await self.recipients(notice)).items():
            channel = await self.reach.last_channel(email) or fallback
            if channel is None:
                continue  # never talked to Guichet anywhere it could reach them
            spoken = known or await self.reach.language(email, channel)
            try:
                async with self._sessions.begin() as session:
                    session.add(
                        NoticeDeliveryRow(
                            notice_id=notice.id,
                            version=notice.version,
                            email=email,
                            told_at=utcnow(),
                        )
                    )
                    await session.flush()  # the unique index refuses a second telling here
                    self.reach.queue(
                        session,
                        email=email,
                        channel=channel,
                        replies=[notice_message(notice, spoken)],
                    )
            except IntegrityError:
                continue
            told += 1
        async with self._sessions.begin() as session:
            await session.execute(
                update(IncidentNoticeRow)
                .where(
                    IncidentNoticeRow.id == notice.id,
                    IncidentNoticeRow.announced_version < notice.version,
                )
                .values(announced_version=notice.version)
            )
        if told:
            self.reach.wake()
        return told

    async def catch_up(self) -> int:
        """Announce the versions a crash or a failure left untold (the dispatcher's rounds)."""
        async with self._sessions() as session:
            ids = (
                await session.scalars(
                    select(IncidentNoticeRow.id).where(
                        IncidentNoticeRow.announced_version < IncidentNoticeRow.version
                    )
                )
            ).all()
        told = 0
        for notice_id in ids:
            told += await self.announce(await self.notices.get(notice_id))
        return told

    async def recipients(self, notice: Notice) -> dict[str, tuple[Language | None, str | None]]:
        """Whom the notice concerns, by e-mail: (their language if known, a fallback channel)."""
        found: dict[str, tuple[Language | None, str | None]] = {}
        for ticket in await self.linked_tickets(notice):
            found.setdefault(
                normalise_email(ticket.requester), (_language(ticket.language), ticket.channel)
            )
        async with self._sessions() as session:
            subscribed = (
                await session.execute(
                    select(
                        NoticeSubscriptionRow.email,
                        NoticeSubscriptionRow.language,
                        NoticeSubscriptionRow.channel,
                    ).where(NoticeSubscriptionRow.notice_id == notice.id)
                )
            ).all()
        for email, language, channel in subscribed:
            found.setdefault(email, (_language(language), channel))
        for email, spoken in (await self._audience(notice)).items():
            found.setdefault(email, (spoken, None))
        return {email: told for email, told in found.items() if "@" in email}

    async def linked_tickets(self, notice: Notice) -> list[Ticket]:
        """The parent incident the notice names, and its children."""
        if not notice.reference:
            return []
        try:
            parent = await self.tickets.get(notice.reference)
        except NotFound:
            return []
        children = await self.tickets.find(parent=parent.reference, limit=MAX_CHILDREN)
        return [parent, *children]

    async def _audience(self, notice: Notice) -> dict[str, Language | None]:
        """The people of the notice's sites or departments who have talked to Guichet."""
        sites = {s.casefold() for s in notice.sites}
        departments = {d.casefold() for d in notice.departments}
        if self.directory is None or not (sites or departments):
            return {}
        found: dict[str, Language | None] = {}
        for email in await self.reach.reachable():
            try:
                person = await self.directory.lookup(email)
            except DirectoryError as exc:
                log.warning("notice %s: directory lookup failed: %s", notice.id, exc)
                return found
            if person is None:
                continue
            if (person.site or "").casefold() in sites or (
                person.department or ""
            ).casefold() in departments:
                found[email] = _language(person.language)
        return found


def _language(code: str | None) -> Language | None:
    return "fr" if code == "fr" else "en" if code == "en" else None


class ParentResolution:
    """Resolving a parent incident resolves its open children, through the ticket service (the
    outbox syncs each upstream), and asks each requester "does it work now?"."""

    def __init__(self, tickets: TicketService, notifier: TicketNotifier) -> None:
        self.tickets = tickets
        self.notifier = notifier

    async def __call__(self, ticket: Ticket, actor: str) -> None:
        if ticket.status != "resolved":
            return
        children = await self.tickets.find(
            parent=ticket.reference, statuses=OPEN_STATUSES, limit=MAX_CHILDREN
        )
        for child in children:
            if child.status == "resolved":
                continue
            resolved = await self.tickets.transition(child.reference, "resolved", actor=actor)
            await self.notifier.notify(resolved, self.notifier.replies(resolved, status="resolved"))


class NoticeSubscriptions:
    """Employees who asked to hear about a notice."""

    def __init__(self, database: Database, notices: NoticeStore) -> None:
        self._sessions = database.sessions
        self.notices = notices

    async def subscribe(
        self, notice_id: int, *, email: str, channel: str, language: Language
    ) -> bool:
        """Subscribe; False when they already were (the first channel and language stand)."""
        await self.notices.get(notice_id)  # NoticeNotFound names it
        try:
            async with self._sessions.begin() as session:
                session.add(
                    NoticeSubscriptionRow(
                        notice_id=notice_id,
                        email=normalise_email(email),
                        channel=channel,
                        language=language,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            return False
        return True

    async def subscribed(self, notice_id: int, email: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(
                select(NoticeSubscriptionRow.id).where(
                    NoticeSubscriptionRow.notice_id == notice_id,
                    NoticeSubscriptionRow.email == normalise_email(email),
                )
            )
        return found is not None
