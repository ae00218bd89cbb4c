"""The escalation queue over JSON, for agents (the console's pages use it too), and the live
updates as server-sent events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ServicesDep
from bot.api.schemas import RowId
from bot.auth import AgentUser
from bot.console.desk import (
    EscalationDesk,
    EscalationDetail,
    EscalationStatus,
    QueueItem,
)
from bot.console.live import ESCALATIONS, conversation_topic
from bot.events.protocol import EventBus
from bot.kernel.domain import Turn
from bot.kernel.tickets import Impact, Status, Urgency

KEEPALIVE_SECONDS = 15.0
MAX_MESSAGE = 4000

router = APIRouter(prefix="/api/v1/escalations", tags=["escalations"])
# the ticket service's CATEGORIES
Category = Literal["hardware", "software", "network", "security", "access", "request", "other"]


async def get_desk(services: ServicesDep) -> EscalationDesk:
    return EscalationDesk(services)


DeskDep = Annotated[EscalationDesk, Depends(get_desk)]


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE)


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    category: Category | None = None
    impact: Impact | None = None
    urgency: Urgency | None = None


async def event_stream(request: Request, bus: EventBus, topics: list[str]) -> AsyncIterator[str]:
    """Server-sent events: one `event:`/`data:` block per bus event, a comment now and then so
    proxies keep the connection open."""
    async with bus.subscribe(*topics) as events:
        yield "retry: 2000\n: connected\n\n"
        pending: asyncio.Future[tuple[str, dict[str, object]]] = asyncio.ensure_future(
            anext(events)
        )
        try:
            while True:
                done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
                if not done:
                    if await request.is_disconnected():
                        return
                    yield ": keepalive\n\n"
                    continue
                _topic, event = pending.result()
                pending = asyncio.ensure_future(anext(events))
                yield f"event: {event['type']}\ndata: {json.dumps(event)}\n\n"
        finally:
            pending.cancel()


@router.get("/events", response_class=StreamingResponse)
async def live_updates(
    request: Request,
    services: ServicesDep,
    _agent: AgentUser,
    conversation_id: Annotated[str | None, Query(max_length=36)] = None,
) -> StreamingResponse:
    """`text/event-stream`: `escalation` and `activity` events for the queue, `approval`
    events (asked, reminded, escalated, decided); with `conversation_id`, also every `turn`
    of that conversation."""
    topics = [ESCALATIONS] + ([conversation_topic(conversation_id)] if conversation_id else [])
    return StreamingResponse(
        event_stream(request, services.events, topics),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get("", response_model=list[QueueItem])
async def queue(
    desk: DeskDep,
    _agent: AgentUser,
    status: Annotated[list[EscalationStatus], Query()] = [],  # noqa: B006
    category: Category | None = None,
    channel: Annotated[str | None, Query(max_length=32)] = None,
    language: Literal["en", "fr"] | None = None,
) -> list[QueueItem]:
    """Open escalations (waiting, taken) unless `status` says otherwise; most urgent first."""
    return await desk.queue(
        statuses=list(status), category=category, channel=channel, language=language
    )


@router.get("/{escalation_id}", response_model=EscalationDetail)
async def detail(escalation_id: RowId, desk: DeskDep, _agent: AgentUser) -> EscalationDetail:
    return await desk.detail(escalation_id)


@router.post("/{escalation_id}/take", response_model=EscalationDetail)
async def take(escalation_id: RowId, desk: DeskDep, agent: AgentUser) -> EscalationDetail:
    """409 when another agent has it."""
    return await desk.take(escalation_id, agent)


@router.post("/{escalation_id}/messages", response_model=Turn, status_code=201)
async def write(escalation_id: RowId, body: MessageIn, desk: DeskDep, agent: AgentUser) -> Turn:
    """To the user, on their channel; only the agent who took it (or an admin)."""
    return await desk.write(escalation_id, agent, body.text)


@router.post("/{escalation_id}/changes", response_model=EscalationDetail)
async def change(
    escalation_id: RowId, body: ChangeIn, desk: DeskDep, agent: AgentUser
) -> EscalationDetail:
    """Change the ticket's status, category, impact or urgency (the priority follows)."""
    return await desk.change(escalation_id, agent, **body.model_dump())


@router.post("/{escalation_id}/resolve", response_model=EscalationDetail)
async def resolve(escalation_id: RowId, desk: DeskDep, agent: AgentUser) -> EscalationDetail:
    return await desk.resolve(escalation_id, agent)


@router.post("/{escalation_id}/hand-back", response_model=EscalationDetail)
async def hand_back(escalation_id: RowId, desk: DeskDep, agent: AgentUser) -> EscalationDetail:
    """The bot answers the conversation again."""
    return await desk.hand_back(escalation_id, agent)
