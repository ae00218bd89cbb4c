"""Changes in the console: the changes read from the ITSM tools, one page per change (what its
window brought against the weeks before; before approval, what similar changes brought), and
the form that writes a planned maintenance by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from bot.api.deps import ServicesDep
from bot.api.insights import InsightsDep
from bot.api.page_zone import page_zone
from bot.auth import AgentUser
from bot.console.pages import ConsoleLanguage, render
from bot.kernel.formats import zone
from bot.kernel.notices import NewNotice

router = APIRouter(prefix="/console/changes", include_in_schema=False)
PAGE = "/console/changes"
Text = Annotated[str, Form(max_length=200)]


@router.get("", response_class=HTMLResponse)
async def changes_page(
    request: Request,
    language: ConsoleLanguage,
    services: ServicesDep,
    insights: InsightsDep,
    agent: AgentUser,
    error: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    maintenance = [n for n in await services.notices.recent(limit=100) if n.kind == "maintenance"]
    return render(
        request,
        language,
        "changes.html",
        user=agent,
        error=error,
        changes=await insights.impact.synced(limit=100),
        maintenance=maintenance,
    )


@router.get("/{reference}", response_class=HTMLResponse)
async def change_page(
    reference: str,
    request: Request,
    language: ConsoleLanguage,
    insights: InsightsDep,
    agent: AgentUser,
) -> HTMLResponse:
    view = await insights.impact.view(reference)
    similar = await insights.impact.similar(reference)
    return render(request, language, "change.html", user=agent, change=view, similar=similar)


def _local(value: str, where: str) -> datetime | None:
    """A datetime-local field ("2026-11-05T22:00"), read in the agent's zone."""
    if not value.strip():
        return None
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=zone(where))


@router.post("/maintenance")
async def write_maintenance(
    request: Request,
    services: ServicesDep,
    agent: AgentUser,
    title_en: Text = "",
    title_fr: Text = "",
    service: Text = "",
    starts_at: Text = "",
    ends_at: Text = "",
) -> Response:
    """Publish a planned maintenance written by hand (times in the agent's zone)."""
    where = page_zone(request)
    try:
        new = NewNotice.model_validate(
            {
                "kind": "maintenance", "severity": "info", "source": "agent",
                "title_en": title_en.strip(), "title_fr": title_fr.strip(),
                "service": service.strip() or None,
                "tags": [service.strip()] if service.strip() else [],
                "starts_at": _local(starts_at, where), "ends_at": _local(ends_at, where),
            }
        )  # fmt: skip
    except (ValidationError, ValueError) as exc:
        problem = (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            if isinstance(exc, ValidationError)
            else f"starts_at/ends_at: {exc}"
        )
        return RedirectResponse(f"{PAGE}?{urlencode({'error': problem})}", status_code=303)
    notice = await services.notices.publish(new)
    await services.auth.audit(agent, "notice.publish", target_kind="notice", target=str(notice.id))
    return RedirectResponse(PAGE, status_code=303)
