"""Tickets over HTTP: create, read with history, list, change status, comment.

Employees create, read, list and comment on their own tickets, and may close or reopen them;
agents and admins do everything, and what they change is written to the audit log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import ServicesDep
from bot.api.idempotency import WITHOUT_KEY, IdempotentWriteDep, idempotent_responses
from bot.auth import CurrentUser, Principal, check_owner
from bot.kernel.domain import utcnow
from bot.kernel.errors import Forbidden
from bot.kernel.language import Language
from bot.kernel.ticket_models import Comment, Event, NewTicket, SyncState, Ticket
from bot.kernel.tickets import TRANSITIONS, Impact, Status, Urgency
from bot.services import Services

router = APIRouter(prefix="/api/v1/tickets", tags=["tickets"])


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requester: str = Field(min_length=3, max_length=255, description="The employee's e-mail.")
    title: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    category: Literal[
        "hardware", "software", "network", "security", "access", "request", "other"
    ] = "other"
    impact: Impact = "person"
    urgency: Urgency = "low"
    kind: Literal["incident", "request"] = "incident"
    channel: str = Field("api", max_length=32)
    language: Language = "en"


class TicketOut(Ticket):
    allowed_transitions: list[str]
    breaches: dict[str, bool]
    sync: list[SyncState]


class TicketDetail(TicketOut):
    history: list[Event]
    comments: list[Comment]


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: Status
    actor: str = Field("api", min_length=1, max_length=255)


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=1, max_length=20_000)
    author: str = Field("api", min_length=1, max_length=255)
    public: bool = True
    from_agent: bool = Field(False, description="An agent's reply counts as the first response.")


REQUESTER_STATUSES: tuple[Status, ...] = ("closed", "reopened")


async def _actor(
    services: Services, caller: Principal, reference: str, named: str, what: str
) -> str:
    """Who the change is recorded for: agents may name someone (an integration acting for a
    person); an employee is always themselves, and only on their own ticket."""
    if caller.is_agent:
        return caller.email if named == "api" else named
    ticket = await services.tickets.store.get(reference)
    check_owner(caller, ticket.requester, f"ticket {reference} to {what}")
    return caller.email


async def _audit(
    services: Services, caller: Principal, action: str, reference: str, **data: object
) -> None:
    if caller.is_agent:
        await services.auth.audit(caller, action, target_kind="ticket", target=reference, data=data)


async def _out(
    services: Services, ticket: Ticket, session: AsyncSession | None = None
) -> TicketOut:
    """`session`: the transaction that wrote `ticket`, when the answer is recorded with it."""
    return TicketOut(
        **ticket.model_dump(),
        allowed_transitions=list(TRANSITIONS[ticket.status]),  # type: ignore[index]
        breaches=ticket.sla_breaches(utcnow()),
        sync=await services.tickets.store.outbox.sync_states(ticket.id, session=session),
    )


async def _detail(
    services: Services, ticket: Ticket, viewer: Principal, session: AsyncSession | None = None
) -> TicketDetail:
    """Agents' internal notes only for agents and admins: a requester never reads them."""
    store, internal = services.tickets.store, viewer.is_agent
    return TicketDetail(
        **(await _out(services, ticket, session)).model_dump(),
        history=await store.history(ticket.reference, internal=internal, session=session),
        comments=await store.comments(ticket.reference, internal=internal, session=session),
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketOut,
    responses=idempotent_responses(status.HTTP_201_CREATED),
)
async def create_ticket(
    body: TicketIn,
    services: ServicesDep,
    caller: CurrentUser,
    once: IdempotentWriteDep = WITHOUT_KEY,
) -> Response | BaseModel:
    """With an `Idempotency-Key`, a retry gets the first answer and creates nothing."""
    if replayed := await once.start(body=body.model_dump(mode="json")):
        return replayed
    check_owner(caller, body.requester, "a ticket for another requester")
    new = NewTicket(**body.model_dump(), conversation_id=None, priority="P5")
    written = await once.write(
        lambda hook: services.tickets.create(new, hook=hook),
        lambda ticket, session: _out(services, ticket, session),
        status_code=status.HTTP_201_CREATED,
    )
    return written.response


@router.get("/{reference}", response_model=TicketDetail)
async def get_ticket(reference: str, services: ServicesDep, caller: CurrentUser) -> TicketDetail:
    ticket = await services.tickets.store.get(reference)
    check_owner(caller, ticket.requester, f"ticket {reference}")
    return await _detail(services, ticket, caller)


@router.get("", response_model=list[TicketOut])
async def list_tickets(
    services: ServicesDep,
    caller: CurrentUser,
    requester: str | None = None,
    status_: list[Status] = Query(default=[], alias="status"),  # noqa: B008
    since: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[TicketOut]:
    """Employees get their own tickets only, whatever `requester` says."""
    if not caller.is_agent:
        requester = caller.email
    tickets = await services.tickets.store.find(
        requester=requester, statuses=status_, since=since, limit=limit
    )
    return [await _out(services, ticket) for ticket in tickets]


@router.post(
    "/{reference}/transitions",
    response_model=TicketOut,
    responses=idempotent_responses(status.HTTP_200_OK),
)
async def transition(
    reference: str,
    body: TransitionIn,
    services: ServicesDep,
    caller: CurrentUser,
    once: IdempotentWriteDep = WITHOUT_KEY,
) -> Response | BaseModel:
    """409 with the allowed statuses when the transition is not allowed. An employee may only
    close or reopen their own ticket. With an `Idempotency-Key`, a retry gets the first answer
    (not a 409) and changes nothing."""
    request = body.model_dump(mode="json")
    if replayed := await once.start(reference=reference.upper(), body=request):
        return replayed
    actor = await _actor(services, caller, reference, body.actor, f"move it to {body.to}")
    if not caller.is_agent and body.to not in REQUESTER_STATUSES:
        raise Forbidden(
            who=caller.email,
            action=f"move ticket {reference} to {body.to}",
            reason=f"a requester may only move it to {' or '.join(REQUESTER_STATUSES)}",
        )
    written = await once.write(
        lambda hook: services.tickets.transition(reference, body.to, actor=actor, hook=hook),
        lambda ticket, session: _out(services, ticket, session),
        status_code=status.HTTP_200_OK,
    )
    if (ticket := written.ticket) is not None:  # None: a request with this key did it first
        await _audit(services, caller, "ticket.transition", reference, to=body.to, actor=actor)
        if actor != ticket.requester:
            await services.notifier.notify(
                ticket, services.notifier.replies(ticket, status=body.to)
            )
    return written.response


@router.post(
    "/{reference}/comments",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketDetail,
    responses=idempotent_responses(status.HTTP_201_CREATED),
)
async def add_comment(
    reference: str,
    body: CommentIn,
    services: ServicesDep,
    caller: CurrentUser,
    once: IdempotentWriteDep = WITHOUT_KEY,
) -> Response | BaseModel:
    """With an `Idempotency-Key`, a retry gets the first answer and adds no second comment."""
    request = body.model_dump(mode="json")
    if replayed := await once.start(reference=reference.upper(), body=request):
        return replayed
    author = await _actor(services, caller, reference, body.author, "comment on it")
    if body.from_agent and not caller.is_agent:
        raise Forbidden(who=caller.email, action="reply as an agent", reason="not an agent")
    written = await once.write(
        lambda hook: services.tickets.comment(
            reference,
            author=author,
            body=body.body,
            public=body.public,
            by_agent=body.from_agent,
            hook=hook,
        ),
        lambda ticket, session: _detail(services, ticket, caller, session),
        status_code=status.HTTP_201_CREATED,
    )
    if (ticket := written.ticket) is not None:  # None: a request with this key did it first
        await _audit(services, caller, "ticket.comment", reference, public=body.public)
        if body.public and author != ticket.requester:
            await services.notifier.notify(
                ticket,
                services.notifier.replies(  # the agent by name: never an address to employees
                    ticket, comment=body.body, author=await services.tickets.agent_name(author)
                ),
            )
    return written.response


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: bool
    reason: str | None = Field(
        None, max_length=1000, description="Why it is rejected; the requester reads it."
    )


@router.post("/{reference}/approval", response_model=TicketOut)
async def decide_approval(
    reference: str, body: ApprovalIn, services: ServicesDep, caller: CurrentUser
) -> TicketOut:
    """Approve (the request goes to the service desk) or reject a request waiting for approval.

    The caller decides as themselves: its approver (the requester's manager, a member of the
    item's group), an admin, or an agent once the approval is the service desk's; anyone else
    gets 403 and nothing changes. A second decision gets 409 naming who decided first.
    """
    decision = await services.approvals.decide(
        reference, by=caller.email, approved=body.approved, reason=body.reason
    )
    await _audit(services, caller, "ticket.approval", reference, approved=body.approved)
    return await _out(services, decision.ticket)
