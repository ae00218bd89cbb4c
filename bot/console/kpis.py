"""The KPI dashboard: figures, charts (inline SVG) and a date range; CSV from the API."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from bot.api.insights import InsightsDep
from bot.auth import AgentUser
from bot.console.pages import render
from bot.insights import charts
from bot.insights.period import parse_period
from bot.kernel.domain import utcnow
from bot.kernel.errors import InvalidRequest

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/kpis", response_class=HTMLResponse)
async def kpis_page(
    insights: InsightsDep,
    agent: AgentUser,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
) -> HTMLResponse:
    now = utcnow()
    error = None
    try:
        period = parse_period(start or None, end or None, now=now)
    except InvalidRequest as exc:
        error, period = str(exc), parse_period(None, None, now=now)
    figures = await insights.kpis.compute(period, now=now)
    shown_end = period.days[-1]
    query = {"from": period.start.date().isoformat(), "to": shown_end.isoformat()}
    return render(
        "kpis.html",
        status_code=400 if error else 200,
        user=agent,
        error=error,
        k=figures,
        start=query["from"],
        end=query["to"],
        csv_url=f"/api/v1/kpis.csv?{urlencode(query)}",
        daily=charts.daily(figures.daily, figures.changes),
        legend=charts.legend(),
        bars={
            "Tickets by category": charts.bars(figures.tickets_by_category, label="categories"),
            "Tickets by channel": charts.bars(figures.tickets_by_channel, label="channels"),
            "Tickets by language": charts.bars(figures.tickets_by_language, label="languages"),
            "Conversations by channel": charts.bars(
                figures.conversations_by_channel, label="channels"
            ),
            "Conversations by language": charts.bars(
                figures.conversations_by_language, label="languages"
            ),
            "Top intents": charts.bars(figures.top_intents, label="intents"),
        },
    )
