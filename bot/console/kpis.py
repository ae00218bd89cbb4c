"""The KPI dashboard: figures, charts (inline SVG) and a date range; CSV from the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated
from urllib.parse import urlencode

from babel import Locale
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from bot.api.insights import InsightsDep
from bot.auth import AgentUser
from bot.console.pages import ConsoleLanguage, render
from bot.insights import charts
from bot.insights.kpis import Count
from bot.insights.period import parse_period
from bot.insights.problem_kpis import problem_kpis
from bot.kernel.domain import utcnow
from bot.kernel.errors import InvalidRequest
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.messages import category_name, intent_name

router = APIRouter(prefix="/console", include_in_schema=False)


def _named(counts: list[Count], name: Callable[[str], str]) -> list[Count]:
    """The same counts, each code (`request`, `fr`) named in the page's language."""
    return [count.model_copy(update={"name": name(count.name)}) for count in counts]


def _language_name(page: Language) -> Callable[[str], str]:
    names = Locale.parse(page).languages
    return lambda code: names.get(code, code)


@router.get("/kpis", response_class=HTMLResponse)
async def kpis_page(
    request: Request,
    language: ConsoleLanguage,
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
    category = partial(category_name, language=language)
    spoken = _language_name(language)
    query = {"from": period.start.date().isoformat(), "to": shown_end.isoformat()}
    return render(
        request,
        language,
        "kpis.html",
        status_code=400 if error else 200,
        user=agent,
        error=error,
        k=figures,
        start=query["from"],
        end=query["to"],
        csv_url=f"/api/v1/kpis.csv?{urlencode(query)}",
        problem_kpis=await problem_kpis(insights.services.database, period),
        daily=charts.daily(figures.daily, figures.changes, language=language),
        legend=charts.legend(language),
        bars={
            title: charts.bars(counts, label=title, language=language)
            for title, counts in (
                (
                    t("Tickets by category", language),
                    _named(figures.tickets_by_category, category),
                ),
                (t("Tickets by channel", language), figures.tickets_by_channel),
                (t("Tickets by language", language), _named(figures.tickets_by_language, spoken)),
                (t("Conversations by channel", language), figures.conversations_by_channel),
                (
                    t("Conversations by language", language),
                    _named(figures.conversations_by_language, spoken),
                ),
                (
                    t("Top intents", language),
                    _named(figures.top_intents, partial(intent_name, language=language)),
                ),
            )
        },
    )
