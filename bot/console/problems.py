"""Problems in the console: open one from an outage parent or a selection of similar
tickets, link and unlink incidents, record root cause and workaround, publish the known error."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.api.deps import ServicesDep
from bot.api.insights import InsightsDep
from bot.auth import AgentUser
from bot.console.pages import ConsoleLanguage, render
from bot.kernel.errors import GuichetError, NotReady
from bot.kernel.i18n import N_, t
from bot.kernel.messages import STATUS_NAMES
from bot.kernel.problems import PROBLEM_STATUSES, PROBLEM_TRANSITIONS, Problem, known_error_slug
from bot.problems.service import ProblemService
from bot.services import Services

router = APIRouter(prefix="/console/problems", include_in_schema=False)
PAGE = "/console/problems"
Text = Annotated[str, Form(max_length=20_000)]
Reference = Annotated[str, Form(max_length=32)]
EVENT_NAMES: dict[str, str] = {
    "created": N_("opened"),
    "analysis": N_("analysis recorded"),
    "status": N_("status changed"),
    "linked": N_("incident linked"),
    "unlinked": N_("incident unlinked"),
    "published": N_("known error published"),
    "unpublished": N_("known error withdrawn"),
}
PROBLEM_STATUS_NAMES: dict[str, str] = {
    "new": N_("new"),
    "under_investigation": N_("under investigation"),
    "known_error": N_("known error"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
}


def _problems(services: Services) -> ProblemService:
    if services.problems is None:
        raise NotReady(component="problems", reason="not opened by this service")
    return services.problems


def _page(reference: str | None = None) -> str:
    return f"{PAGE}/{quote(reference)}" if reference else PAGE


async def _act(
    action: Awaitable[Problem], services: Services, agent: AgentUser, name: str, back: str
) -> Response:
    """Run a form's action, audit it, and go to the problem's page (or back with the error)."""
    try:
        problem = await action
    except GuichetError as exc:
        return RedirectResponse(f"{back}?{urlencode({'error': str(exc)})}", status_code=303)
    await services.auth.audit(agent, name, target_kind="problem", target=problem.reference)
    return RedirectResponse(_page(problem.reference), status_code=303)


@router.get("", response_class=HTMLResponse)
async def problems_page(
    request: Request,
    language: ConsoleLanguage,
    services: ServicesDep,
    insights: InsightsDep,
    agent: AgentUser,
    error: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    problems = await _problems(services).find()
    with_problem = {p.origin for p in problems if p.origin}
    parents = [c for c in await insights.candidates.all() if c.reference not in with_problem]
    return render(
        request,
        language,
        "problems.html",
        user=agent,
        error=error,
        problems=problems,
        parents=parents,
        status_names={code: t(name, language) for code, name in PROBLEM_STATUS_NAMES.items()},
    )


@router.post("")
async def open_problem(
    services: ServicesDep,
    agent: AgentUser,
    parent: Reference = "",
    tickets: Annotated[str, Form(max_length=4000)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    problems = _problems(services)
    if parent.strip():
        action = problems.open_from_parent(parent.strip(), actor=agent.email)
    else:
        references = [r.strip() for r in tickets.replace("\n", ",").split(",") if r.strip()]
        action = problems.open_from_tickets(references, actor=agent.email, title=title)
    return await _act(action, services, agent, "problem.open", PAGE)


@router.get("/{reference}", response_class=HTMLResponse)
async def problem_page(
    reference: str,
    request: Request,
    language: ConsoleLanguage,
    services: ServicesDep,
    agent: AgentUser,
    error: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    problems = _problems(services)
    problem = await problems.get(reference)
    slug = known_error_slug(problem.reference)
    history = await problems.history(problem.reference)
    actors = {e.actor for e in history}
    names = {a: await services.tickets.agent_name(a) if "@" in a else a for a in actors}
    return render(
        request,
        language,
        "problem.html",
        user=agent,
        error=error,
        p=problem,
        incidents=await problems.incidents(problem),
        history=history,
        event_names={code: t(name, language) for code, name in EVENT_NAMES.items()},
        ticket_status_names={code: t(name, language) for code, name in STATUS_NAMES.items()},
        names=names,
        sync=await problems.store.sync_states(problem.id),
        next_statuses=PROBLEM_TRANSITIONS[problem.status],
        statuses=PROBLEM_STATUSES,
        status_names={code: t(name, language) for code, name in PROBLEM_STATUS_NAMES.items()},
        entry_urls=[
            f"/kb/{lang}/{slug}"
            for lang, text in (("en", problem.workaround_en), ("fr", problem.workaround_fr))
            if text
        ],
    )


@router.post("/{reference}/analysis")
async def record_analysis(
    reference: str,
    services: ServicesDep,
    agent: AgentUser,
    title: Annotated[str, Form(max_length=200)],
    description: Text = "",
    root_cause: Text = "",
    workaround_en: Text = "",
    workaround_fr: Text = "",
) -> Response:
    action = _problems(services).record(
        reference,
        actor=agent.email,
        title=title,
        description=description,
        root_cause=root_cause,
        workaround_en=workaround_en,
        workaround_fr=workaround_fr,
    )
    return await _act(action, services, agent, "problem.analysis", _page(reference))


@router.post("/{reference}/status")
async def change_status(
    reference: str, services: ServicesDep, agent: AgentUser, status: Reference
) -> Response:
    action = _problems(services).transition(reference, status, actor=agent.email)
    return await _act(action, services, agent, "problem.status", _page(reference))


@router.post("/{reference}/link")
async def link(
    reference: str, services: ServicesDep, agent: AgentUser, ticket: Reference
) -> Response:
    action = _problems(services).link(reference, ticket.strip(), actor=agent.email)
    return await _act(action, services, agent, "problem.link", _page(reference))


@router.post("/{reference}/unlink")
async def unlink(
    reference: str, services: ServicesDep, agent: AgentUser, ticket: Reference
) -> Response:
    action = _problems(services).unlink(reference, ticket.strip(), actor=agent.email)
    return await _act(action, services, agent, "problem.unlink", _page(reference))


@router.post("/{reference}/publish")
async def publish(reference: str, services: ServicesDep, agent: AgentUser) -> Response:
    action = _problems(services).publish(reference, actor=agent.email)
    return await _act(action, services, agent, "problem.publish", _page(reference))


@router.post("/{reference}/unpublish")
async def unpublish(reference: str, services: ServicesDep, agent: AgentUser) -> Response:
    action = _problems(services).unpublish(reference, actor=agent.email)
    return await _act(action, services, agent, "problem.unpublish", _page(reference))
