"""Tickets over HTTP: create, read with history, list, change status, comment."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ServicesDep
from bot.domain import Reply, utcnow
from bot.messages import t
from bot.services import Services
from bot.settings import Language
from bot.storage.tickets import Comment, Event, NewTicket, SyncState, Ticket
from bot.tickets.lifecycle import TRANSITIONS
from connectors.itsm.protocol import Impact, Status, Urgency

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


async def _out(services: Services, ticket: Ticket) -> TicketOut:
    return TicketOut(
        **ticket.model_dump(),
        allowed_transitions=list(TRANSITIONS[ticket.status]),  # type: ignore[index]
        breaches=ticket.sla_breaches(utcnow()),
        sync=await services.tickets.store.sync_states(ticket.id),
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketOut)
async def create_ticket(body: TicketIn, services: ServicesDep) -> TicketOut:
    ticket = await services.tickets.create(
        NewTicket(
            **body.model_dump(),
            conversation_id=None,
            priority="P5",
        )
    )
    return await _out(services, ticket)


@router.get("/{reference}", response_model=TicketDetail)
async def get_ticket(reference: str, services: ServicesDep) -> TicketDetail:
    ticket = await services.tickets.store.get(reference)
    return TicketDetail(
        **(await _out(services, ticket)).model_dump(),
        history=await services.tickets.store.history(ticket.reference),
        comments=await services.tickets.store.comments(ticket.reference),
    )


@router.get("", response_model=list[TicketOut])
async def list_tickets(
    services: ServicesDep,
    requester: str | None = None,
    status_: list[Status] = Query(default=[], alias="status"),  # noqa: B008
    since: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[TicketOut]:
    tickets = await services.tickets.store.find(
        requester=requester, statuses=status_, since=since, limit=limit
    )
    return [await _out(services, ticket) for ticket in tickets]


@router.post("/{reference}/transitions", response_model=TicketOut)
async def transition(reference: str, body: TransitionIn, services: ServicesDep) -> TicketOut:
    """409 with the allowed statuses when the transition is not allowed."""
    ticket = await services.tickets.transition(reference, body.to, actor=body.actor)
    if body.actor != ticket.requester:
        await services.notifier.notify(ticket, services.notifier.replies(ticket, status=body.to))
    return await _out(services, ticket)


@router.post(
    "/{reference}/comments", status_code=status.HTTP_201_CREATED, response_model=TicketDetail
)
async def add_comment(reference: str, body: CommentIn, services: ServicesDep) -> TicketDetail:
    ticket = await services.tickets.comment(
        reference, author=body.author, body=body.body, public=body.public, by_agent=body.from_agent
    )
    if body.public and body.author != ticket.requester:
        await services.notifier.notify(
            ticket, services.notifier.replies(ticket, comment=body.body, author=body.author)
        )
    return await get_ticket(reference, services)


class ApprovalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved: bool
    approver: str = Field(min_length=3, max_length=255)


@router.post("/{reference}/approval", response_model=TicketOut)
async def decide_approval(reference: str, body: ApprovalIn, services: ServicesDep) -> TicketOut:
    """Approve (the request goes to the service desk) or reject a request waiting for approval."""
    ticket = await services.tickets.decide_approval(
        reference, approved=body.approved, approver=body.approver
    )
    key = "order_approved" if body.approved else "order_rejected"
    await services.notifier.notify(
        ticket, [Reply(text=t(key, ticket.language, reference=ticket.reference))]
    )
    return await _out(services, ticket)
