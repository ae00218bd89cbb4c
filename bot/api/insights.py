"""KPIs, knowledge gaps and agents' articles, changes and releases: for agents and admins."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ServicesDep
from bot.auth.deps import AgentUser
from bot.insights.articles import NewArticle, PublishedArticle
from bot.insights.changes import Change, NewChange
from bot.insights.export import to_csv
from bot.insights.gaps import GapReport
from bot.insights.kpis import Kpis
from bot.insights.period import parse_period
from bot.insights.service import Insights, open_insights
from bot.kernel.domain import utcnow
from bot.scale.index_versions import announce_version
from bot.services import Services

router = APIRouter(prefix="/api/v1", tags=["insights"])

PeriodStart = Annotated[
    str | None, Query(alias="from", description="first day (2026-11-01) or an ISO datetime")
]
PeriodEnd = Annotated[
    str | None, Query(alias="to", description="last day, included, or an ISO datetime")
]


async def get_insights(request: Request, services: ServicesDep) -> Insights:
    """One `Insights` per running service, made on first use."""
    found: Insights | None = getattr(request.app.state, "insights", None)
    if found is None or found.services is not services:
        found = open_insights(services)
        request.app.state.insights = found
    return found


InsightsDep = Annotated[Insights, Depends(get_insights)]


class ChangeTag(BaseModel):
    model_config = ConfigDict(extra="forbid")

    change: str | None = Field(description="a registered change's reference; null removes it")


class TaggedTicket(BaseModel):
    reference: str
    change: str | None


@router.get("/kpis", response_model=Kpis)
async def kpis(
    insights: InsightsDep, _user: AgentUser, start: PeriodStart = None, end: PeriodEnd = None
) -> Kpis:
    """Service-desk KPIs over [from, to] (default: the last 30 days); docs/console.md, "KPIs"."""
    now = utcnow()
    return await insights.kpis.compute(parse_period(start, end, now=now), now=now)


@router.get("/kpis.csv", response_class=Response)
async def kpis_csv(
    insights: InsightsDep, _user: AgentUser, start: PeriodStart = None, end: PeriodEnd = None
) -> Response:
    """The same figures as CSV: section, name, value, numerator, denominator."""
    now = utcnow()
    period = parse_period(start, end, now=now)
    figures = await insights.kpis.compute(period, now=now)
    name = f"guichet-kpis-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    return Response(
        to_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/gaps", response_model=GapReport)
async def gaps(
    insights: InsightsDep,
    _user: AgentUser,
    days: Annotated[int | None, Query(ge=1, le=90, description="the period; default 7")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> GapReport:
    """Questions answered badly, grouped by meaning, with counts, trend and examples."""
    return await insights.gaps.report(
        now=utcnow(), days=days or insights.settings.gap_days, limit=limit
    )


@router.post("/gaps/articles", response_model=PublishedArticle, status_code=201)
async def draft_article(
    body: NewArticle, insights: InsightsDep, services: ServicesDep, user: AgentUser
) -> PublishedArticle:
    """Write a new article (EN and/or FR); search finds it at once, without a restart."""
    published = await insights.articles.publish(body, author=user.email)
    await announce_index(services)
    await services.auth.audit(
        user,
        "article.publish",
        target_kind="article",
        target=published.slug,
        data={"gap": body.gap, "files": published.files},
    )
    return published


async def announce_index(services: Services) -> None:
    """Tell the other processes a new index version is out (they also poll for it)."""
    url = services.settings.redis_url
    if url:
        await anyio.to_thread.run_sync(announce_version, url, services.settings.index_dir)


@router.get("/changes", response_model=list[Change])
async def changes(
    insights: InsightsDep, _user: AgentUser, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[Change]:
    """Registered changes and releases, latest deployment first."""
    return await insights.changes.recent(limit=limit)


@router.post("/changes", response_model=Change, status_code=201)
async def register_change(
    body: NewChange, insights: InsightsDep, services: ServicesDep, user: AgentUser
) -> Change:
    """Register a change or release and when it was deployed; 409 if the reference exists."""
    change = await insights.changes.register(body, actor=user.email)
    await services.auth.audit(
        user, "change.register", target_kind="change", target=change.reference
    )
    return change


@router.put("/tickets/{reference}/change", response_model=TaggedTicket)
async def tag_ticket(
    reference: str, body: ChangeTag, insights: InsightsDep, services: ServicesDep, user: AgentUser
) -> TaggedTicket:
    """Tag a ticket with the change or release it follows from (null removes the tag)."""
    found = await insights.changes.tag(reference, body.change, actor=user.email)
    await services.auth.audit(
        user, "ticket.tag_change", target_kind="ticket", target=found, data={"change": body.change}
    )
    return TaggedTicket(reference=found, change=body.change)
