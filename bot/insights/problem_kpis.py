"""Problem-management KPIs (docs/console.md, "KPIs"): recurring incidents and incidents closed
by a known error, over the incidents created in the period (the same cohort as the others).

- **Recurring incidents**: incidents linked to a problem, or that repeat an incident of the
  same category from the same requester within `REPEAT_DAYS` days before it (the same issue
  coming back; Guichet's tickets have no configuration item, so the category stands for it).
- **Closed by a known error**: incidents linked to a problem whose workaround was published,
  that are resolved or closed, over the incidents linked to such a problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select

from bot.insights.kpis import Rate, rate
from bot.insights.period import Period
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import ProblemIncidentRow, ProblemRow, TicketRow

REPEAT_DAYS = 14
DONE = ("resolved", "closed")


@dataclass(frozen=True)
class _Incident:
    reference: str
    requester: str
    category: str
    status: str
    at: datetime


class ProblemKpis(BaseModel):
    incidents: int = Field(description="incidents created in the period")
    recurring: Rate = Field(description="recurring incidents / incidents")
    linked_to_problem: int
    repeats: int = Field(description=f"same category and requester within {REPEAT_DAYS} days")
    closed_by_known_error: Rate = Field(
        description="resolved or closed / linked to a problem with a published workaround"
    )
    repeat_days: int = REPEAT_DAYS


async def problem_kpis(database: Database, period: Period) -> ProblemKpis:
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(
                    TicketRow.reference,
                    TicketRow.requester,
                    TicketRow.category,
                    TicketRow.status,
                    TicketRow.created_at,
                ).where(
                    TicketRow.kind == "incident",
                    TicketRow.created_at >= period.start - timedelta(days=REPEAT_DAYS),
                    TicketRow.created_at < period.end,
                )
            )
        ).all()
        links = (
            await session.execute(
                select(
                    ProblemIncidentRow.ticket_reference,
                    ProblemRow.published,
                    ProblemRow.status,
                ).join(ProblemRow, ProblemRow.id == ProblemIncidentRow.problem_id)
            )
        ).all()
    linked = {reference for reference, _, _ in links}
    known = {
        reference
        for reference, published, status in links
        if published or status in ("known_error", "resolved", "closed")
    }
    incidents = sorted(
        (_Incident(r[0] or "", r[1], r[2], r[3], as_utc(r[4])) for r in rows),
        key=lambda incident: incident.at,
    )
    cohort = [i for i in incidents if i.at in period]
    seen: dict[tuple[str, str], list[datetime]] = {}
    for incident in incidents:
        seen.setdefault((incident.requester, incident.category), []).append(incident.at)
    window = timedelta(days=REPEAT_DAYS)

    def repeats(incident: _Incident) -> bool:
        before = seen[(incident.requester, incident.category)]
        return any(incident.at - window <= at < incident.at for at in before)

    linked_now = [r for r in cohort if r.reference in linked]
    repeated = [r for r in cohort if repeats(r)]
    recurring = {r.reference for r in linked_now} | {r.reference for r in repeated}
    with_known = [r for r in cohort if r.reference in known]
    return ProblemKpis(
        incidents=len(cohort),
        recurring=rate(len(recurring), len(cohort)),
        linked_to_problem=len(linked_now),
        repeats=len(repeated),
        closed_by_known_error=rate(sum(r.status in DONE for r in with_known), len(with_known)),
    )
