"""Service-desk KPIs over a period, computed from the stored history (docs/console.md, "KPIs").

Every ticket figure is over the tickets *created* in the period (a cohort), every conversation
figure over the conversations created in it with at least one message from the employee.
Durations are wall-clock hours.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Row, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.insights.backlog import Backlog, backlog, csat, resolution_rate
from bot.insights.backlog import Rate as Rate
from bot.insights.backlog import rate as rate
from bot.insights.period import Period
from bot.insights.ticket_history import TicketEvent, TicketHistory, aware, sla
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import (
    AnswerFeedbackRow,
    ChangeRow,
    ConversationRow,
    EscalationRow,
    KnowledgeGapEventRow,
    TicketEventRow,
    TicketRow,
    TurnRow,
)

TOP = 10
CHANGE_WINDOW = timedelta(hours=24)
T = TypeVar("T")


class Mean(BaseModel):
    hours: float | None = Field(description="null when nothing counted")
    count: int


class Count(BaseModel):
    name: str
    count: int


class FailingQuery(BaseModel):
    query: str
    language: str
    misses: int = Field(description="searches with no confident answer")
    unhelpful: int = Field(description='answers voted "not helpful"')
    total: int


class ChangeImpact(BaseModel):
    reference: str
    kind: str
    title: str
    deployed_at: datetime
    tagged_tickets: int = Field(description="tickets tagged with this change, whenever created")
    tickets_before: int = Field(description="tickets created in the window before deployment")
    tickets_after: int = Field(description="tickets created in the window after deployment")
    window_hours: float


class Day(BaseModel):
    day: date
    conversations: int
    deflected: int
    tickets: int
    escalations: int


class Kpis(BaseModel):
    start: datetime
    end: datetime
    conversations: int
    escalations: int
    tickets: int
    deflection_rate: Rate
    first_contact_resolution: Rate
    mean_time_to_assign: Mean
    mean_time_to_resolve: Mean
    reopen_rate: Rate
    sla_first_response: Rate
    sla_resolution: Rate
    satisfaction: Rate
    csat: Rate = Field(description="survey answers of 4 or 5 out of 5, of tickets closed then")
    resolution_rate: Rate
    backlog: Backlog
    tickets_by_category: list[Count]
    tickets_by_channel: list[Count]
    tickets_by_language: list[Count]
    conversations_by_channel: list[Count]
    conversations_by_language: list[Count]
    top_intents: list[Count]
    top_failing_queries: list[FailingQuery]
    changes: list[ChangeImpact]
    daily: list[Day]


def mean_hours(durations: Sequence[timedelta]) -> Mean:
    if not durations:
        return Mean(hours=None, count=0)
    total = sum((d.total_seconds() for d in durations), 0.0)
    return Mean(hours=round(total / len(durations) / 3600, 4), count=len(durations))


def counts(values: Iterable[str], limit: int | None = None) -> list[Count]:
    """Most frequent first, then by name."""
    ranked = sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))
    return [Count(name=name, count=n) for name, n in ranked[:limit]]


@dataclass(frozen=True)
class History:
    """The period's rows the figures are computed from, read once.

    Columns, not ORM objects: a month of a busy desk is tens of thousands of rows.
    """

    conversations: Sequence[Row[str, str, str, datetime]]
    """Created in the period, with a message from the employee: id, channel, language, when."""
    deflected: Sequence[Row[str, str, str, datetime]]
    """Of `conversations`, those solved by an answer without a ticket or an escalation."""
    escalations: Sequence[datetime]
    tickets: list[TicketHistory]
    votes: Sequence[Row[str, str, bool]]
    """ "Was this helpful?" votes of the period: query key, language, helpful."""
    intents: Sequence[dict[str, Any]]
    """The NLU data of the employees' turns of the period."""
    misses: Sequence[Row[str, str, str]]
    """Searches without a confident answer: query key, language, query."""


class KpiReport:
    """Reads the period's history from the database and computes the figures."""

    def __init__(self, database: Database, *, change_window: timedelta = CHANGE_WINDOW) -> None:
        self._sessions = database.sessions
        self.change_window = change_window

    async def compute(self, period: Period, *, now: datetime) -> Kpis:
        async with self._sessions() as session:
            history = await read_history(session, period)
            changes = await self._changes(session, period)
            satisfied = await csat(session, period)
            waiting = await backlog(session, min(period.end, now))
        tickets = history.tickets
        return Kpis(
            start=period.start,
            end=period.end,
            conversations=len(history.conversations),
            escalations=len(history.escalations),
            tickets=len(tickets),
            deflection_rate=deflection_rate(history),
            first_contact_resolution=first_contact_resolution(tickets),
            mean_time_to_assign=mean_time_to_assign(tickets),
            mean_time_to_resolve=mean_time_to_resolve(tickets),
            reopen_rate=reopen_rate(tickets),
            sla_first_response=sla_first_response(tickets, now=now),
            sla_resolution=sla_resolution(tickets, now=now),
            satisfaction=satisfaction(history.votes),
            csat=satisfied,
            resolution_rate=resolution_rate(tickets),
            backlog=waiting,
            tickets_by_category=counts(t.category for t in tickets),
            tickets_by_channel=counts(t.channel for t in tickets),
            tickets_by_language=counts(t.language for t in tickets),
            conversations_by_channel=counts(c.channel for c in history.conversations),
            conversations_by_language=counts(c.language for c in history.conversations),
            top_intents=top_intents(history.intents),
            top_failing_queries=top_failing_queries(history.misses, history.votes),
            changes=changes,
            daily=daily_history(period, history),
        )

    async def _changes(self, session: AsyncSession, period: Period) -> list[ChangeImpact]:
        """Changes deployed in the period, with the tickets tagged with them and the tickets
        created in the window before and after their deployment."""
        rows = (
            await session.scalars(
                select(ChangeRow)
                .where(ChangeRow.deployed_at >= period.start, ChangeRow.deployed_at < period.end)
                .order_by(ChangeRow.deployed_at)
            )
        ).all()
        impacts = []
        for row in rows:
            deployed = as_utc(row.deployed_at)
            tagged = await session.scalar(
                select(func.count(TicketRow.id)).where(TicketRow.change_ref == row.reference)
            )
            around = [
                as_utc(at)
                for at in (
                    await session.scalars(
                        select(TicketRow.created_at).where(
                            TicketRow.created_at >= deployed - self.change_window,
                            TicketRow.created_at < deployed + self.change_window,
                        )
                    )
                ).all()
            ]
            impacts.append(
                ChangeImpact(
                    reference=row.reference,
                    kind=row.kind,
                    title=row.title,
                    deployed_at=deployed,
                    tagged_tickets=tagged or 0,
                    tickets_before=sum(at < deployed for at in around),
                    tickets_after=sum(at >= deployed for at in around),
                    window_hours=self.change_window.total_seconds() / 3600,
                )
            )
        return impacts


def deflection_rate(history: History) -> Rate:
    """Of the conversations, those solved by an answer without a ticket or an escalation."""
    return rate(len(history.deflected), len(history.conversations))


def first_contact_resolution(tickets: Sequence[TicketHistory]) -> Rate:
    """Of the resolved tickets, those not reopened, reassigned or sent back to the requester."""
    resolved = [t for t in tickets if t.was_resolved()]
    return rate(sum(t.first_contact() for t in resolved), len(resolved))


def mean_time_to_assign(tickets: Sequence[TicketHistory]) -> Mean:
    return mean_hours([at - t.created for t in tickets if (at := t.assigned_at()) is not None])


def mean_time_to_resolve(tickets: Sequence[TicketHistory]) -> Mean:
    return mean_hours([t.resolved_at - t.created for t in tickets if t.resolved_at is not None])


def reopen_rate(tickets: Sequence[TicketHistory]) -> Rate:
    resolved = [t for t in tickets if t.was_resolved()]
    return rate(sum(t.reopened() for t in resolved), len(resolved))


def sla_first_response(tickets: Sequence[TicketHistory], *, now: datetime) -> Rate:
    return rate(*sla(tickets, due="first_response_due", done="first_response_at", now=now))


def sla_resolution(tickets: Sequence[TicketHistory], *, now: datetime) -> Rate:
    return rate(*sla(tickets, due="resolution_due", done="resolved_at", now=now, pauses=True))


def satisfaction(votes: Sequence[Row[str, str, bool]]) -> Rate:
    return rate(sum(v.helpful for v in votes), len(votes))


# Answers to the bot's own questions (a form's field, "shall I go ahead?"): button clicks that
# say nothing of what employees come for.
FORM_INTENTS = frozenset({"inform", "affirm", "deny", "cancel", "survey", "survey_skip"})


def top_intents(intents: Sequence[dict[str, Any]]) -> list[Count]:
    """What employees come for: the intents of their messages, answers to forms left out."""
    return counts(
        (
            str(d["intent"])
            for d in intents
            if d.get("intent") and d["intent"] != "None" and d["intent"] not in FORM_INTENTS
        ),
        TOP,
    )


def top_failing_queries(
    misses: Sequence[Row[str, str, str]], votes: Sequence[Row[str, str, bool]]
) -> list[FailingQuery]:
    return failing_queries(
        [(m.query_key, m.language, m.query) for m in misses],
        [(v.query_key, v.language) for v in votes if not v.helpful],
    )


def daily_history(period: Period, history: History) -> list[Day]:
    return daily(
        period,
        conversations=[as_utc(c.created_at) for c in history.conversations],
        deflected=[as_utc(c.created_at) for c in history.deflected],
        tickets=[t.created for t in history.tickets],
        escalations=[as_utc(e) for e in history.escalations],
    )


# -- reading the period's rows ----------------------------------------------------------------


async def read_history(session: AsyncSession, period: Period) -> History:
    start, end = period.start, period.end
    conversations = await _conversations(session, period)
    escalations = (
        await session.scalars(
            select(EscalationRow.created_at).where(
                EscalationRow.created_at >= start, EscalationRow.created_at < end
            )
        )
    ).all()
    tickets = await _tickets(session, period)
    votes = (
        await session.execute(
            select(
                AnswerFeedbackRow.query_key, AnswerFeedbackRow.language, AnswerFeedbackRow.helpful
            ).where(AnswerFeedbackRow.created_at >= start, AnswerFeedbackRow.created_at < end)
        )
    ).all()
    intents = (
        await session.scalars(
            select(TurnRow.data).where(
                TurnRow.role == "user", TurnRow.at >= start, TurnRow.at < end
            )
        )
    ).all()
    misses = (
        await session.execute(
            select(
                KnowledgeGapEventRow.query_key,
                KnowledgeGapEventRow.language,
                KnowledgeGapEventRow.query,
            ).where(KnowledgeGapEventRow.at >= start, KnowledgeGapEventRow.at < end)
        )
    ).all()
    return History(
        conversations=conversations,
        deflected=await _deflected(session, period, conversations),
        escalations=escalations,
        tickets=tickets,
        votes=votes,
        intents=intents,
        misses=misses,
    )


async def _conversations(
    session: AsyncSession, period: Period
) -> Sequence[Row[str, str, str, datetime]]:
    """The conversations created in the period with at least one message from the employee."""
    talked = (
        select(TurnRow.id)
        .where(TurnRow.conversation_id == ConversationRow.id, TurnRow.role == "user")
        .exists()
    )
    return (
        await session.execute(
            select(
                ConversationRow.id,
                ConversationRow.channel,
                ConversationRow.language,
                ConversationRow.created_at,
            ).where(
                ConversationRow.created_at >= period.start,
                ConversationRow.created_at < period.end,
                talked,
            )
        )
    ).all()


async def _deflected(
    session: AsyncSession, period: Period, conversations: Sequence[Row[str, str, str, datetime]]
) -> list[Row[str, str, str, datetime]]:
    """The conversations with a "helpful" vote, no ticket and no escalation."""
    in_period = select(ConversationRow.id).where(
        ConversationRow.created_at >= period.start, ConversationRow.created_at < period.end
    )
    with_ticket = await _ids(
        session, select(TicketRow.conversation_id).where(TicketRow.conversation_id.in_(in_period))
    )
    escalated = await _ids(
        session,
        select(EscalationRow.conversation_id).where(EscalationRow.conversation_id.in_(in_period)),
    )
    solved = await _ids(
        session,
        select(AnswerFeedbackRow.conversation_id).where(
            AnswerFeedbackRow.helpful.is_(True), AnswerFeedbackRow.conversation_id.in_(in_period)
        ),
    )
    return [c for c in conversations if c.id in solved and c.id not in with_ticket | escalated]


async def _ids(session: AsyncSession, query: Select[T]) -> set[T]:
    return set((await session.scalars(query)).all())


async def _tickets(session: AsyncSession, period: Period) -> list[TicketHistory]:
    """The tickets created in the period, each with its events in order."""
    ticket_in = (TicketRow.created_at >= period.start, TicketRow.created_at < period.end)
    rows = (
        await session.execute(
            select(
                TicketRow.id,
                TicketRow.created_at,
                TicketRow.category,
                TicketRow.channel,
                TicketRow.language,
                TicketRow.status,
                TicketRow.first_response_due,
                TicketRow.first_response_at,
                TicketRow.resolution_due,
                TicketRow.resolved_at,
            ).where(*ticket_in)
        )
    ).all()
    events = (
        await session.execute(
            select(
                TicketEventRow.ticket_id,
                TicketEventRow.at,
                TicketEventRow.kind,
                TicketEventRow.data,
            )
            .where(TicketEventRow.ticket_id.in_(select(TicketRow.id).where(*ticket_in)))
            .order_by(TicketEventRow.at, TicketEventRow.id)
        )
    ).all()
    histories = {
        row.id: TicketHistory(
            id=row.id,
            created=as_utc(row.created_at),
            category=row.category,
            channel=row.channel,
            language=row.language,
            status=row.status,
            first_response_due=aware(row.first_response_due),
            first_response_at=aware(row.first_response_at),
            resolution_due=aware(row.resolution_due),
            resolved_at=aware(row.resolved_at),
        )
        for row in rows
    }
    for ticket_id, at, kind, data in events:
        histories[ticket_id].events.append(TicketEvent(as_utc(at), kind, data))
    return list(histories.values())


def failing_queries(
    misses: Sequence[tuple[str, str, str]], unhelpful: Sequence[tuple[str, str]]
) -> list[FailingQuery]:
    """The questions answered worst, by folded words and language: misses (key, language,
    text) plus "no" votes (key, language)."""
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    text: dict[tuple[str, str], str] = {}
    for key, language, query in misses:
        tally[(key, language)][0] += 1
        text[(key, language)] = query
    for key, language in unhelpful:
        tally[(key, language)][1] += 1
        text.setdefault((key, language), key)
    ranked = sorted(tally.items(), key=lambda item: (-sum(item[1]), item[0]))
    return [
        FailingQuery(query=text[key], language=key[1], misses=m, unhelpful=u, total=m + u)
        for key, (m, u) in ranked[:TOP]
    ]


def daily(
    period: Period,
    *,
    conversations: Sequence[datetime],
    deflected: Sequence[datetime],
    tickets: Sequence[datetime],
    escalations: Sequence[datetime],
) -> list[Day]:
    """Counts per UTC day of the period, for the charts."""
    per_day = [Counter(m.date() for m in moments if m in period)
               for moments in (conversations, deflected, tickets, escalations)]  # fmt: skip
    return [
        Day(
            day=day,
            conversations=per_day[0][day],
            deflected=per_day[1][day],
            tickets=per_day[2][day],
            escalations=per_day[3][day],
        )
        for day in period.days
    ]
