"""Approvals in the console: the requests waiting for a decision, the service desk's first, and
an agent's decision on those the service desk now has (an admin's on any).

Who may decide is ApprovalService's rule, the same as in chat and over the API; the page only
offers the buttons to those it would accept. People are named, never shown by address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from bot.api.deps import ServicesDep
from bot.auth import AgentUser, Principal
from bot.console.pages import ConsoleLanguage, render
from bot.kernel.approvals import approver_rule
from bot.kernel.errors import GuichetError
from bot.kernel.i18n import N_, t
from bot.kernel.language import Language
from bot.kernel.ticket_models import Ticket
from bot.services import Services
from bot.tickets.approvals import ApprovalService, asked_at, desk_decides, moment

PAGE = "/console/approvals"
SHOWN_APPROVERS = 3  # a group's members named in the list; the others counted
# Why the service desk decides (details["approval_why"]), as the desk reads it.
WHY_THE_DESK: dict[str, str] = {
    "overdue": N_("No decision in time: handed to the service desk"),
    "no_manager": N_("The requester has no manager in the directory"),
    "no_group_members": N_("Nobody else is in the approvers' group"),
    "unreachable": N_("The approver has never used Guichet, so could not be asked"),
    "directory_unavailable": N_("The directory could not be reached"),
}

router = APIRouter(include_in_schema=False)


def shown_language(
    page: ConsoleLanguage, language: Annotated[Language | None, Query()] = None
) -> Language:
    """The console's language, or `?language=`: the language of the page whose script reloads
    a part of it (unlike `?lang=`, not remembered: another tab may have switched since)."""
    return language or page


ShownLanguage = Annotated[Language, Depends(shown_language)]


class ApprovalRow(BaseModel):
    """One request waiting for approval, as the console shows it."""

    reference: str
    requester: str
    item: str
    fields: list[tuple[str, str]]
    cost_eur: float | None
    approvers: list[str]  # names, the first few
    more_approvers: int
    group: str | None
    service_desk: bool
    why: str | None
    asked_at: datetime
    reminded_at: datetime | None
    escalated_at: datetime | None
    may_decide: bool


@dataclass(frozen=True)
class Desk:
    """The rows of one viewer, in one language."""

    approvals: ApprovalService

    async def rows(self, viewer: Principal, language: Language) -> list[ApprovalRow]:
        return [
            await self.row(ticket, viewer, language) for ticket in await self.approvals.waiting()
        ]

    async def row(self, ticket: Ticket, viewer: Principal, language: Language) -> ApprovalRow:
        details = ticket.details
        approvals = self.approvals
        item = approvals.catalog(str(details.get("catalog_item") or ""))
        rule = approver_rule(str(details.get("approver") or "manager"))
        emails = [str(e) for e in details.get("approvers") or []]
        why = details.get("approval_why")
        desk = desk_decides(ticket)
        return ApprovalRow(
            reference=ticket.reference,
            requester=await approvals.name_of(ticket.requester),
            item=item.title.get(language) if item else ticket.title,
            fields=approvals.fields(ticket, item, language),
            cost_eur=float(details.get("cost_eur") or 0) or None,
            approvers=[await approvals.name_of(e) for e in emails[:SHOWN_APPROVERS]],
            more_approvers=max(0, len(emails) - SHOWN_APPROVERS),
            group=rule.group if rule.kind == "group" else None,
            service_desk=desk,
            why=t(WHY_THE_DESK[why], language) if desk and why in WHY_THE_DESK else None,
            asked_at=asked_at(ticket),
            reminded_at=moment(details.get("approval_reminded_at")),
            escalated_at=moment(details.get("approval_escalated_at")),
            may_decide=await approvals.may_decide(ticket, viewer.email),
        )


@router.get("/api/v1/approvals", response_model=list[ApprovalRow], tags=["tickets"])
async def waiting_approvals(
    services: ServicesDep, agent: AgentUser, lang: Language | None = None
) -> list[ApprovalRow]:
    """Requests waiting for approval, the service desk's first; `may_decide` says whether the
    caller may decide (POST /api/v1/tickets/{reference}/approval)."""
    return await Desk(services.approvals).rows(agent, lang or services.settings.default_language)


@router.get(PAGE, response_class=HTMLResponse)
async def approvals_page(
    request: Request,
    services: ServicesDep,
    language: ShownLanguage,
    agent: AgentUser,
    error: Annotated[str | None, Query(max_length=2000)] = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
    approved: bool = False,
) -> HTMLResponse:
    rows = await Desk(services.approvals).rows(agent, language)
    said = None
    if done:
        said = (
            t("{reference} approved: the requester is told.", language, reference=done)
            if approved
            else t("{reference} rejected: the requester is told.", language, reference=done)
        )
    return render(
        request, language, "approvals.html", user=agent, rows=rows, error=error, done=said
    )


@router.get(f"{PAGE}/banner", response_class=HTMLResponse)
async def approvals_banner(
    request: Request, services: ServicesDep, language: ShownLanguage, agent: AgentUser
) -> HTMLResponse:
    """The queue page's line naming the approvals the service desk has (reloaded live)."""
    return render(
        request,
        language,
        "approvals_banner.html",
        user=agent,
        desk_approvals=[tk.reference for tk in await services.approvals.for_the_desk()],
    )


async def _decide(
    services: Services, agent: Principal, reference: str, approved: bool, reason: str
) -> Response:
    try:
        await services.approvals.decide(
            reference, by=agent.email, approved=approved, reason=reason or None
        )
    except GuichetError as exc:
        return RedirectResponse(f"{PAGE}?{urlencode({'error': str(exc)})}", status_code=303)
    await services.auth.audit(
        agent, "ticket.approval", target_kind="ticket", target=reference,
        data={"approved": approved, "from": "console"},
    )  # fmt: skip
    query = {"done": reference, **({"approved": "true"} if approved else {})}
    return RedirectResponse(f"{PAGE}?{urlencode(query)}", status_code=303)


@router.post(PAGE + "/{reference}/approve")
async def approve(reference: str, services: ServicesDep, agent: AgentUser) -> Response:
    return await _decide(services, agent, reference, True, "")


@router.post(PAGE + "/{reference}/reject")
async def reject(
    reference: str,
    services: ServicesDep,
    agent: AgentUser,
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    return await _decide(services, agent, reference, False, reason.strip())
