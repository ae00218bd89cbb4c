"""Incident notices as agents run them: outage candidates to publish or dismiss, and the
notices matching what an employee says, which the bot tells first in chat."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select

from bot.kernel.errors import Conflict
from bot.kernel.language import Language
from bot.kernel.notices import NewNotice, Notice
from bot.kernel.ticket_models import Ticket
from bot.kernel.tickets import OPEN_STATUSES
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.notices import NoticeStore
from bot.storage.tables import IncidentNoticeRow
from bot.storage.tickets import TicketStore
from knowledge_index.service import IndexedKnowledgeBase
from knowledge_index.suggest import NoticeMatcher

CandidateState = Literal["waiting", "published", "dismissed"]
# Parents opened before their symptom was kept in `details` ("symptom") had English titles.
CANDIDATE_PREFIX = "Major incident candidate: "
MIN_DENSE_CHARACTERS = 3


def symptom(parent: Ticket) -> str:
    """What the grouped reports are about: the report's title that opened the parent."""
    return str(parent.details.get("symptom") or parent.title.removeprefix(CANDIDATE_PREFIX))


def outage_notice(parent: Ticket) -> NewNotice:
    """The notice proposed for grouped reports of the same outage."""
    said = symptom(parent)
    return NewNotice(
        title_en=f"Ongoing incident: {said}"[:200],
        title_fr=f"Incident en cours\u00a0: {said}"[:200],
        body_en="Several people reported this. The service desk is on it; no need to "
        f"open another ticket (see {parent.reference}).",
        body_fr="Plusieurs personnes l'ont signalé. Le support s'en occupe\u202f; inutile "
        f"d'ouvrir un autre ticket (voir {parent.reference}).",
        source="outage-grouping",
        reference=parent.reference,
    )


class Candidate(BaseModel):
    reference: str
    title: str
    category: str
    reports: list[str]
    created_at: datetime
    state: CandidateState
    notice_id: int | None
    proposed: NewNotice


class OutageCandidates:
    """Parent incidents opened by outage grouping, and the notice each has or could have."""

    def __init__(self, database: Database, notices: NoticeStore, tickets: TicketStore) -> None:
        self._sessions = database.sessions
        self.notices = notices
        self.tickets = tickets

    async def all(self) -> list[Candidate]:
        parents = [
            ticket
            for ticket in await self.tickets.find(
                kind="incident", statuses=OPEN_STATUSES, limit=500
            )
            if ticket.details.get("major_incident")
        ]
        active = await self._active_notices([p.reference for p in parents])
        return [self._candidate(parent, active.get(parent.reference)) for parent in parents]

    async def get(self, reference: str) -> Candidate:
        parent = await self.tickets.get(reference)
        if not parent.details.get("major_incident"):
            raise Conflict(
                reference=parent.reference,
                problem="is not a grouped outage (major-incident candidate)",
                allowed="the references listed by GET /api/v1/notices/candidates",
            )
        active = await self._active_notices([parent.reference])
        return self._candidate(parent, active.get(parent.reference))

    async def publish(self, reference: str, text: NewNotice | None, *, actor: str) -> Notice:
        """Publish the candidate's notice (its proposed text unless `text`), or update the
        active one; a dismissed candidate comes back."""
        candidate = await self.get(reference)
        new = (text or candidate.proposed).model_copy(
            update={"reference": candidate.reference, "source": text.source if text else "agent"}
        )
        if candidate.state == "dismissed":
            await self._mark(candidate.reference, dismissed=False, actor=actor)
        if candidate.notice_id is not None:
            return await self.notices.update(candidate.notice_id, new)
        return await self.notices.publish(new)

    async def dismiss(self, reference: str, *, actor: str) -> Candidate:
        """Not an outage worth a notice: close its notice if published, and say so."""
        candidate = await self.get(reference)
        if candidate.notice_id is not None:
            await self.notices.close(candidate.notice_id)
        await self._mark(candidate.reference, dismissed=True, actor=actor)
        return await self.get(reference)

    async def _mark(self, reference: str, *, dismissed: bool, actor: str) -> None:
        parent = await self.tickets.get(reference)
        details = {**parent.details, "notice_dismissed": dismissed}
        await self.tickets.change(
            reference, actor=actor, kind="update", fields={"details": details}
        )

    async def _active_notices(self, references: list[str]) -> dict[str, int]:
        if not references:
            return {}
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(IncidentNoticeRow.reference, IncidentNoticeRow.id).where(
                        IncidentNoticeRow.status == "active",
                        IncidentNoticeRow.reference.in_(references),
                    )
                )
            ).all()
        return {reference: notice_id for reference, notice_id in rows if reference}

    @staticmethod
    def _candidate(parent: Ticket, notice_id: int | None) -> Candidate:
        state: CandidateState = (
            "published"
            if notice_id is not None
            else "dismissed"
            if parent.details.get("notice_dismissed")
            else "waiting"
        )
        reports = parent.details.get("reports")
        return Candidate(
            reference=parent.reference,
            title=symptom(parent),
            category=parent.category,
            reports=[str(r) for r in reports] if isinstance(reports, list) else [],
            created_at=as_utc(parent.created_at),
            state=state,
            notice_id=notice_id,
            proposed=outage_notice(parent),
        )


class NoticeAnswers:
    """The active notices matching a chat message, best first (what the bot says first)."""

    def __init__(self, notices: NoticeStore, knowledge: IndexedKnowledgeBase) -> None:
        self.notices = notices
        self.knowledge = knowledge
        self._matcher = NoticeMatcher(knowledge.embedder)

    async def matching(self, text: str, language: Language) -> list[Notice]:
        active = await self.notices.active()
        if not active or not text.strip():
            return []
        vector = self.knowledge.vectors(text) if len(text.strip()) >= MIN_DENSE_CHARACTERS else None
        found = self._matcher.match(text, vector, active)
        return [notice for notice, _, _ in sorted(found, key=lambda f: -f[1])]
