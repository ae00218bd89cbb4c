"""Knowledge gaps in the console: groups of badly answered questions, and drafting the
article that answers one (it is searchable as soon as the form is sent)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bot.api.deps import ServicesDep
from bot.api.insights import InsightsDep, announce_index
from bot.auth import AgentUser
from bot.console.pages import ConsoleLanguage, render
from bot.insights.articles import NewArticle
from bot.kernel.domain import utcnow
from bot.kernel.errors import GuichetError

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/gaps", response_class=HTMLResponse)
async def gaps_page(
    request: Request,
    language: ConsoleLanguage,
    insights: InsightsDep,
    agent: AgentUser,
    days: Annotated[int | None, Query(ge=1, le=90)] = None,
    group: Annotated[str, Query(max_length=64)] = "",
    error: Annotated[str | None, Query(max_length=2000)] = None,
    published: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    report = await insights.gaps.report(now=utcnow(), days=days or insights.settings.gap_days)
    chosen = next((g for g in report.groups if g.id == group), None)
    return render(
        request,
        language,
        "gaps.html",
        user=agent,
        error=error,
        report=report,
        days=days or insights.settings.gap_days,
        chosen=chosen,
        published=published,
    )


def _lines(text: str) -> list[str]:
    return [tag.strip() for tag in text.replace("\n", ",").split(",") if tag.strip()]


@router.post("/gaps/articles")
async def draft_article(
    insights: InsightsDep,
    services: ServicesDep,
    agent: AgentUser,
    title_en: Annotated[str, Form(max_length=200)] = "",
    body_en: Annotated[str, Form(max_length=50_000)] = "",
    title_fr: Annotated[str, Form(max_length=200)] = "",
    body_fr: Annotated[str, Form(max_length=50_000)] = "",
    kind: Annotated[str, Form(alias="type", max_length=16)] = "faq",
    category: Annotated[str, Form(max_length=32)] = "general",
    tags: Annotated[str, Form(max_length=1000)] = "",
    gap: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    try:
        article = NewArticle.model_validate(
            {
                "title_en": title_en or None, "body_en": body_en or None,
                "title_fr": title_fr or None, "body_fr": body_fr or None,
                "type": kind, "category": category, "tags": _lines(tags), "gap": gap or None,
            }
        )  # fmt: skip
        published = await insights.articles.publish(article, author=agent.email)
    except ValidationError as exc:
        problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}"
                            for e in exc.errors())  # fmt: skip
        query = {"group": gap, "error": problem}
        return RedirectResponse(f"/console/gaps?{urlencode(query)}", status_code=303)
    except GuichetError as exc:
        query = {"group": gap, "error": str(exc)}
        return RedirectResponse(f"/console/gaps?{urlencode(query)}", status_code=303)
    await announce_index(services)
    await services.auth.audit(
        agent,
        "article.publish",
        target_kind="article",
        target=published.slug,
        data={"gap": gap or None, "files": published.files},
    )
    query = {"published": ", ".join(published.urls)}
    return RedirectResponse(f"/console/gaps?{urlencode(query)}", status_code=303)
