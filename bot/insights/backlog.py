"""The figures of the service desk's state and of its users' satisfaction: the backlog and the
age of its tickets at a moment, the resolution rate of a cohort, CSAT from the surveys sent
when tickets close (docs/console.md, "KPIs")."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import median

from pydantic import BaseModel, Field
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.insights.period import Period
from bot.insights.ticket_history import TicketHistory
from bot.storage.conversations import as_utc
from bot.storage.tables import SatisfactionSurveyRow, TicketRow

SATISFIED = (4, 5)


class Rate(BaseModel):
    value: float | None = Field(description="numerator / denominator; null when nothing counted")
    numerator: int
    denominator: int


class Backlog(BaseModel):
    at: datetime = Field(description="the end of the period, or now when it is still running")
    open_tickets: int
    median_age_hours: float | None = Field(description="null when nothing is open")
    oldest_age_hours: float | None


def rate(numerator: int, denominator: int) -> Rate:
    value = round(numerator / denominator, 4) if denominator else None
    return Rate(value=value, numerator=numerator, denominator=denominator)


async def csat(session: AsyncSession, period: Period) -> Rate:
    """Of the survey answers of tickets closed in the period, those of 4 or 5 (out of 5)."""
    scores = (
        await session.scalars(
            select(SatisfactionSurveyRow.score).where(
                SatisfactionSurveyRow.asked_at >= period.start,
                SatisfactionSurveyRow.asked_at < period.end,
                SatisfactionSurveyRow.score.is_not(None),
            )
        )
    ).all()
    return rate(sum(score in SATISFIED for score in scores), len(scores))


async def backlog(session: AsyncSession, at: datetime) -> Backlog:
    """The tickets open at `at`: created before, neither resolved nor closed by then."""
    created = (
        await session.scalars(
            select(TicketRow.created_at).where(
                TicketRow.created_at < at,
                or_(TicketRow.resolved_at.is_(None), TicketRow.resolved_at >= at),
                or_(TicketRow.closed_at.is_(None), TicketRow.closed_at >= at),
            )
        )
    ).all()
    ages = [(at - as_utc(when)).total_seconds() / 3600 for when in created]
    return Backlog(
        at=at,
        open_tickets=len(ages),
        median_age_hours=round(median(ages), 2) if ages else None,
        oldest_age_hours=round(max(ages), 2) if ages else None,
    )


def resolution_rate(tickets: Sequence[TicketHistory]) -> Rate:
    """Of the tickets created in the period, those resolved at least once."""
    return rate(sum(t.was_resolved() for t in tickets), len(tickets))
