"""Satisfaction: one question when a ticket closes ("how satisfied are you?", 1 to 5, then an
optional comment), on the requester's last channel, in the ticket's language, once per ticket.

The survey row is written in the same transaction as the queued question; its unique ticket
reference makes a second close (reopened, closed again), a retry or another process ask nothing.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.channels.addresses import normalise_email
from bot.dialogue.survey import ANSWER_INTENT
from bot.kernel.domain import Button, Reply, payload, utcnow
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.ticket_models import Ticket
from bot.storage.database import Database
from bot.storage.tables import SatisfactionSurveyRow
from bot.tickets.reach import Reach

SCORES = range(1, 6)


def survey_question(reference: str, language: Language) -> Reply:
    return Reply(
        text=t(
            "Your ticket {reference} is closed. How satisfied are you with how it was "
            "handled? 1 = not at all, 5 = very.",
            language,
            reference=reference,
        ),
        buttons=[
            Button(
                title=str(score), payload=payload(ANSWER_INTENT, ticket=reference, score=str(score))
            )
            for score in SCORES
        ],
    )


class SatisfactionSurveys:
    def __init__(self, database: Database, reach: Reach) -> None:
        self._sessions = database.sessions
        self.reach = reach

    async def __call__(self, ticket: Ticket, actor: str) -> None:
        """The ticket service's observer: a ticket that closed brings its survey."""
        if ticket.status == "closed":
            await self.ask(ticket)

    async def ask(self, ticket: Ticket) -> bool:
        """Queue the question for the requester; False when this ticket's was asked already."""
        email = normalise_email(ticket.requester)
        channel = await self.reach.last_channel(email) or ticket.channel
        language: Language = "fr" if ticket.language == "fr" else "en"
        try:
            async with self._sessions.begin() as session:
                session.add(
                    SatisfactionSurveyRow(
                        ticket_reference=ticket.reference,
                        requester=email,
                        language=language,
                        asked_at=utcnow(),
                    )
                )
                await session.flush()
                self.reach.queue(
                    session,
                    email=email,
                    channel=channel,
                    replies=[survey_question(ticket.reference, language)],
                )
        except IntegrityError:
            return False
        self.reach.wake()
        return True

    async def answer(self, reference: str, *, requester: str, score: int) -> bool:
        """Record the requester's score (a second click changes it); False when the survey is
        not theirs or the score is not 1 to 5."""
        if score not in SCORES:
            return False
        return await self._set(reference, requester, score=score, answered_at=utcnow())

    async def comment(self, reference: str, *, requester: str, text: str) -> bool:
        return await self._set(reference, requester, comment=text.strip()[:2000])

    async def _set(self, reference: str, requester: str, **values: object) -> bool:
        async with self._sessions.begin() as session:
            changed = await session.execute(
                update(SatisfactionSurveyRow)
                .where(
                    SatisfactionSurveyRow.ticket_reference == reference,
                    SatisfactionSurveyRow.requester == normalise_email(requester),
                )
                .values(**values)
            )
        return bool(changed.rowcount)  # type: ignore[attr-defined]

    async def score(self, reference: str) -> tuple[int | None, str | None]:
        """The score and comment given for a ticket (None, None when unanswered)."""
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(SatisfactionSurveyRow.score, SatisfactionSurveyRow.comment).where(
                        SatisfactionSurveyRow.ticket_reference == reference
                    )
                )
            ).first()
        return (row[0], row[1]) if row else (None, None)
