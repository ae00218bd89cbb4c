"""The employee's ticket pages: `/tickets` (mine, open first) and `/tickets/{reference}`, the
links the bot gives in chat. Server-rendered in English or French, like the console.

Who sees what: the requester sees their own tickets, agents and admins any; another employee
gets a 403 page (not a 404: references are sequential and `GET /api/v1/tickets/{reference}`
already answers 403, so pretending the ticket does not exist would hide nothing). An employee
arrives signed in from the link the bot gave in chat (`?signin=`, bot/tickets/arrival.py), which
opens a session of role employee; a spent link leads to a page saying how to get a new one.
Without a session the browser is sent to the sign-in page (for agents), which brings it back.

Only the requester acts on the page (comment; close or reopen a resolved ticket), which is
what the API lets a requester do (`bot/api/tickets.py`); the forms carry the session's CSRF
token and call the same `TicketService` as the API and the chat, so the lifecycle rules, the
history, the redaction and the outbox to the ITSM backends are theirs. A requester changing
their own ticket is not told about it by the notifier, as in the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from bot.api.deps import ServicesDep
from bot.api.errors import status_for
from bot.api.page_language import (
    LANGUAGE_NAMES,
    other_language,
    page_language,
    remember_language,
)
from bot.api.page_zone import page_zone
from bot.auth import Principal, current_user
from bot.auth.chat_links import PARAMETER
from bot.kernel.errors import (
    Conflict,
    Forbidden,
    GuichetError,
    InvalidRequest,
    NotAuthenticated,
    NotFound,
    TicketNotFound,
)
from bot.kernel.i18n import N_, gettext_callables, t
from bot.kernel.language import Language
from bot.kernel.ticket_models import Ticket
from bot.kernel.tickets import Status
from bot.services import Services
from bot.tickets.arrival import PRIVATE_HEADERS, arrive, clean_target
from bot.tickets.page_view import ticket_rows, ticket_view

TEMPLATES = Environment(
    loader=PackageLoader("bot.tickets", "templates"), autoescape=select_autoescape()
)
# What the page says after the requester acted (`?done=`).
DONE: dict[str, str] = {
    "commented": N_("Your comment is added."),
    "closed": N_("Thanks for confirming: the ticket is closed."),
    "reopened": N_("The ticket is reopened; the service desk will take it up again."),
}
MAX_REFERENCE = 40

Acting = Callable[[Ticket, Principal], Awaitable[None]]

router = APIRouter(prefix="/tickets", include_in_schema=False)


# -- rendering ------------------------------------------------------------------------------


def _render(
    request: Request,
    name: str,
    language: Language,
    *,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    other = other_language(language)
    html = TEMPLATES.get_template(name).render(
        language=language,
        zone=page_zone(request),
        other_language=other,
        other_language_name=LANGUAGE_NAMES[other],
        **gettext_callables(language),
        **values,
    )
    response = HTMLResponse(html, status_code=status_code)
    remember_language(response, request, language, path="/tickets")
    return response


def _error_page(
    request: Request, language: Language, error: GuichetError, *, reference: str, action: bool
) -> Response:
    """Sign-in for a stranger; a translated 404 or 403 page; anything else as the API says."""
    if isinstance(error, NotAuthenticated):
        target = f"/tickets/{reference}" if reference else "/tickets"
        return RedirectResponse(f"/console/login?next={quote(target)}", status_code=303)
    user = getattr(request.state, "principal", None)
    if isinstance(error, NotFound):
        title, text = (
            t("Ticket not found", language),
            t(
                "There is no ticket {reference}. Check the number, or see your tickets.",
                language,
                reference=reference,
            ),
        )
    elif isinstance(error, Forbidden):
        title = t("Not allowed", language)
        text = (
            t(
                "This action was refused. The form may have expired: reload the ticket's page "
                "and try again.",
                language,
            )
            if action
            else t(
                "This ticket belongs to someone else; only its requester and the service desk "
                "may see it.",
                language,
            )
        )
    else:
        raise error
    return _render(
        request,
        "ticket_error.html",
        language,
        status_code=status_for(error),
        user=user,
        heading=title,
        text=text,
    )


async def _from_chat_link(request: Request, services: Services, language: Language) -> Response:
    """`?signin=`: signed in and sent on to the clean address, or told the link is spent."""
    arrived = await arrive(request, services)
    if arrived is not None:
        return arrived
    response = _render(
        request,
        "link_expired.html",
        language,
        status_code=410,
        user=None,
        target=clean_target(request),
        minutes=services.settings.auth.chat_link_minutes,
    )
    response.headers.update(PRIVATE_HEADERS)
    return response


async def _visible(services: Services, reference: str, viewer: Principal) -> Ticket:
    """The ticket if the viewer may see it: TicketNotFound, or Forbidden for another's."""
    if not reference or len(reference) > MAX_REFERENCE:
        raise TicketNotFound(reference=reference[:MAX_REFERENCE])
    ticket = await services.tickets.store.get(reference)
    if not viewer.may_see(ticket.requester):
        raise Forbidden(
            who=viewer.email, action=f"see ticket {ticket.reference}", reason="it is another's"
        )
    return ticket


# -- pages ----------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def my_tickets(request: Request, services: ServicesDep) -> Response:
    language = page_language(request, services)
    if PARAMETER in request.query_params:
        return await _from_chat_link(request, services, language)
    try:
        viewer = await current_user(request)
    except GuichetError as error:
        return _error_page(request, language, error, reference="", action=False)
    tickets = await services.tickets.store.find(requester=viewer.email, limit=500)
    rows = ticket_rows(tickets, language, page_zone(request))
    return _render(request, "tickets.html", language, user=viewer, rows=rows)


@router.get("/{reference}", response_class=HTMLResponse)
async def ticket_page(
    reference: str,
    request: Request,
    services: ServicesDep,
    done: str = "",
    error: str = "",
) -> Response:
    language = page_language(request, services)
    if PARAMETER in request.query_params:
        return await _from_chat_link(request, services, language)
    try:
        viewer = await current_user(request)
        ticket = await _visible(services, reference, viewer)
    except GuichetError as exc:
        return _error_page(request, language, exc, reference=reference, action=False)
    view = await ticket_view(services, ticket, viewer, language, page_zone(request))
    problem = None
    if error == "conflict":
        problem = t(
            "That is not possible in the ticket's current status ({status}).",
            language,
            status=view.status_name,
        )
    elif error == "empty":
        problem = t("The comment is empty.", language)
    return _render(
        request,
        "ticket.html",
        language,
        user=viewer,
        p=view,
        notice=t(DONE[done], language) if done in DONE else None,
        error=problem,
        works=t("Yes, it works", language),
        still_broken=t("No, still broken", language),
    )


async def _requester_acts(
    request: Request, services: Services, reference: str, what: str, done: str, action: Acting
) -> Response:
    """Authenticate (and check the CSRF token), allow the requester only, run `action`, and
    go back to the ticket's page saying what happened."""
    language = page_language(request, services)
    try:
        viewer = await current_user(request)
        ticket = await _visible(services, reference, viewer)
        if ticket.requester.casefold() != viewer.email.casefold():
            raise Forbidden(
                who=viewer.email,
                action=f"{what} ticket {ticket.reference} from its page",
                reason="only its requester acts here; agents use the console or the API",
            )
    except GuichetError as exc:
        return _error_page(request, language, exc, reference=reference, action=True)
    target = f"/tickets/{quote(ticket.reference)}"
    try:
        await action(ticket, viewer)
    except Conflict:
        return RedirectResponse(f"{target}?error=conflict", status_code=303)
    except InvalidRequest:
        return RedirectResponse(f"{target}?error=empty", status_code=303)
    return RedirectResponse(f"{target}?done={done}", status_code=303)


@router.post("/{reference}/comments")
async def comment(
    reference: str,
    request: Request,
    services: ServicesDep,
    text: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    async def add(ticket: Ticket, viewer: Principal) -> None:
        await services.tickets.comment(ticket.reference, author=viewer.email, body=text)
        await _audit(services, viewer, "ticket.comment", ticket.reference, public=True)

    return await _requester_acts(request, services, reference, "comment on", "commented", add)


@router.post("/{reference}/close")
async def close(reference: str, request: Request, services: ServicesDep) -> Response:
    """The requester says "yes, it works": the ticket is closed."""
    return await _requester_acts(
        request, services, reference, "close", "closed", _moving_to(services, "closed")
    )


@router.post("/{reference}/reopen")
async def reopen(reference: str, request: Request, services: ServicesDep) -> Response:
    """The requester says "no, still broken": the ticket is reopened."""
    return await _requester_acts(
        request, services, reference, "reopen", "reopened", _moving_to(services, "reopened")
    )


def _moving_to(services: Services, status: Status) -> Acting:
    async def move(ticket: Ticket, viewer: Principal) -> None:
        await services.tickets.transition(ticket.reference, status, actor=viewer.email)
        await _audit(
            services, viewer, "ticket.transition", ticket.reference, to=status, actor=viewer.email
        )

    return move


async def _audit(
    services: Services, viewer: Principal, action: str, reference: str, **data: object
) -> None:
    """As the API does: what agents and admins change is audited (here, on their own tickets)."""
    if viewer.is_agent:
        await services.auth.audit(viewer, action, target_kind="ticket", target=reference, data=data)
