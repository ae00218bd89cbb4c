"""Incident notices in the console: publish, update and close them; outage candidates to
publish or dismiss."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bot.api.deps import ServicesDep
from bot.api.insights import InsightsDep
from bot.api.schemas import RowId
from bot.auth import AgentUser
from bot.console.pages import ConsoleLanguage, render
from bot.kernel.errors import GuichetError
from bot.kernel.notices import NewNotice

router = APIRouter(prefix="/console/notices", include_in_schema=False)
PAGE = "/console/notices"
Text = Annotated[str, Form(max_length=4000)]


@router.get("", response_class=HTMLResponse)
async def notices_page(
    request: Request,
    language: ConsoleLanguage,
    services: ServicesDep,
    insights: InsightsDep,
    agent: AgentUser,
    error: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    return render(
        request,
        language,
        "notices.html",
        user=agent,
        error=error,
        notices=await services.notices.recent(limit=50),
        candidates=await insights.candidates.all(),
    )


async def _act(action: Awaitable[object], audit: Callable[[], Awaitable[None]]) -> Response:
    """Run a form's action, write it to the audit log, and back to the page (with the error)."""
    try:
        await action
    except GuichetError as exc:
        return RedirectResponse(f"{PAGE}?{urlencode({'error': str(exc)})}", status_code=303)
    await audit()
    return RedirectResponse(PAGE, status_code=303)


def notice_form(
    title_en: Text = "",
    title_fr: Text = "",
    body_en: Text = "",
    body_fr: Text = "",
    severity: Text = "degraded",
    tags: Text = "",
    url: Text = "",
    sites: Text = "",
    departments: Text = "",
) -> NewNotice | Response:
    """The notice the form describes, or the page again naming what is wrong."""
    try:
        return NewNotice.model_validate(
            {
                "title_en": title_en.strip(), "title_fr": title_fr.strip(),
                "body_en": body_en.strip(), "body_fr": body_fr.strip(), "severity": severity,
                "tags": _listed(tags),
                "url": url.strip() or None,
                "sites": _listed(sites), "departments": _listed(departments),
            }
        )  # fmt: skip
    except ValidationError as exc:
        return _invalid(exc)


def _listed(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


NoticeForm = Annotated[NewNotice | Response, Depends(notice_form)]


def _invalid(exc: ValidationError) -> Response:
    problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return RedirectResponse(f"{PAGE}?{urlencode({'error': problem})}", status_code=303)


@router.post("")
async def publish(services: ServicesDep, agent: AgentUser, new: NoticeForm) -> Response:
    if isinstance(new, Response):
        return new
    notice = await services.notices.publish(new)
    await services.auth.audit(agent, "notice.publish", target_kind="notice", target=str(notice.id))
    return RedirectResponse(PAGE, status_code=303)


@router.post("/{notice_id}")
async def update(
    notice_id: RowId, services: ServicesDep, agent: AgentUser, new: NoticeForm
) -> Response:
    if isinstance(new, Response):
        return new
    current = await services.notices.get(notice_id)
    new = new.model_copy(
        update={
            "source": current.source,
            "reference": current.reference,
            # A planned maintenance keeps its window (changed on the changes page or upstream).
            "kind": current.kind,
            "starts_at": current.starts_at,
            "ends_at": current.ends_at,
            "service": current.service,
        }
    )
    return await _act(
        services.notices.update(notice_id, new),
        lambda: services.auth.audit(
            agent, "notice.update", target_kind="notice", target=str(notice_id)
        ),
    )


@router.post("/{notice_id}/close")
async def close(notice_id: RowId, services: ServicesDep, agent: AgentUser) -> Response:
    return await _act(
        services.notices.close(notice_id),
        lambda: services.auth.audit(
            agent, "notice.close", target_kind="notice", target=str(notice_id)
        ),
    )


@router.post("/candidates/{reference}/publish")
async def publish_candidate(
    reference: str, insights: InsightsDep, services: ServicesDep, agent: AgentUser
) -> Response:
    return await _act(
        insights.candidates.publish(reference, None, actor=agent.email),
        lambda: services.auth.audit(
            agent, "notice.publish", target_kind="ticket", target=reference
        ),
    )


@router.post("/candidates/{reference}/dismiss")
async def dismiss_candidate(
    reference: str, insights: InsightsDep, services: ServicesDep, agent: AgentUser
) -> Response:
    return await _act(
        insights.candidates.dismiss(reference, actor=agent.email),
        lambda: services.auth.audit(
            agent, "notice.dismiss", target_kind="ticket", target=reference
        ),
    )
