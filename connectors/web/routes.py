"""`/widget/api/...`: what the widget calls. Thin: it checks who asks, then calls the engine
and the suggestion service and translates their answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from bot.api.deps import ServicesDep
from bot.api.schemas import MAX_MESSAGE_CHARS, RowId
from bot.api.suggest import Click
from bot.channels.addresses import ChannelAddressStore
from bot.kernel.domain import Conversation, utcnow
from bot.kernel.errors import Forbidden, NotAuthenticated, NotReady
from bot.kernel.formats import is_zone
from bot.kernel.language import Language
from bot.settings.web import WebSettings
from connectors.web.messages import texts
from connectors.web.push import CHANNEL, EventLog, WebChannel
from connectors.web.tokens import PortalTokens, WebUser
from connectors.web.translate import (
    NewWidgetConversation,
    WidgetConversation,
    WidgetMessage,
    WidgetReplies,
    to_conversation,
    to_event,
    to_widget_suggestions,
)
from knowledge_index.suggest import MAX_SUGGEST_CHARACTERS, Suggestions

PREFIX = "/widget/api"
CONVERSATION_ID = Path(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9-]+$")
router = APIRouter(prefix=PREFIX, tags=["web widget"])


@dataclass
class Widget:
    """The widget's parts, built by `connectors.web.mount.install` and kept on app.state."""

    settings: WebSettings
    tokens: PortalTokens
    events: EventLog
    channel: WebChannel


async def get_widget(request: Request) -> Widget:
    widget: Widget | None = getattr(request.app.state, "widget", None)
    if widget is None:
        raise NotReady(component="web widget", reason="not mounted")
    return widget


WidgetDep = Annotated[Widget, Depends(get_widget)]


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(
            reason="the Authorization header must be 'Bearer <token>'",
            bearer_error="invalid_request",
        )
    return token.strip()


AuthorizationHeader = Annotated[str | None, Header(description="Bearer <portal token>")]


async def optional_user(
    widget: WidgetDep, authorization: AuthorizationHeader = None
) -> WebUser | None:
    """The signed-in user, or None for a visitor; a bad token counts as no token here."""
    try:
        return widget.tokens.verify(bearer(authorization))
    except NotAuthenticated:
        return None


async def required_user(widget: WidgetDep, authorization: AuthorizationHeader = None) -> WebUser:
    return widget.tokens.verify(bearer(authorization))


UserDep = Annotated[WebUser, Depends(required_user)]
VisitorDep = Annotated[WebUser | None, Depends(optional_user)]


async def owned(services: ServicesDep, user: WebUser, conversation_id: str) -> Conversation:
    conversation = await services.conversations.get(conversation_id)
    if conversation.user_id.lower() != user.email:
        raise Forbidden(
            who=user.email,
            action=f"use conversation {conversation_id}",
            reason="it belongs to another user",
        )
    return conversation


class Session(BaseModel):
    user: str | None
    name: str | None
    reason: str | None = None
    texts: dict[str, dict[str, str]]
    limits: dict[str, int] = Field(
        default_factory=lambda: {"message": MAX_MESSAGE_CHARS, "search": MAX_SUGGEST_CHARACTERS},
        description="the most characters a chat message and a search may have",
    )


@router.get("/session", response_model=Session)
async def session(widget: WidgetDep, authorization: AuthorizationHeader = None) -> Session:
    """Who the token says the user is (or why it is refused), and the widget's texts."""
    everything = {"en": texts("en"), "fr": texts("fr")}
    try:
        user = widget.tokens.verify(bearer(authorization))
    except NotAuthenticated as refused:
        reason = str(refused.fields["reason"]) if authorization else None
        return Session(user=None, name=None, reason=reason, texts=everything)
    return Session(user=user.email, name=user.name, texts=everything)


@router.get("/suggest", response_model=Suggestions)
async def suggest(
    services: ServicesDep,
    visitor: VisitorDep,
    q: Annotated[str, Query(max_length=MAX_SUGGEST_CHARACTERS, description="what is typed")] = "",
    lang: Annotated[Language | None, Query(description="en or fr")] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 8,
    tz: Annotated[
        str, Query(max_length=64, description="the reader's IANA zone, for maintenance times")
    ] = "",
) -> Suggestions:
    """Suggestions as in /api/v1/suggest; without a token, only the knowledge base."""
    found = await services.suggestions.suggest(
        q,
        language=lang or services.settings.default_language,
        limit=limit,
        zone=tz if is_zone(tz) else None,
    )
    return to_widget_suggestions(found, signed_in=visitor is not None)


@router.post("/suggest/clicks", status_code=204)
async def click(body: Click, services: ServicesDep) -> Response:
    await services.suggestions.click(
        query=body.query,
        language=body.language,
        group=body.group,
        entry_type=body.type,
        position=body.position,
    )
    return Response(status_code=204)


class NoticeSubscription(BaseModel):
    language: Language | None = Field(None, description="the language to be told in")


class Subscribed(BaseModel):
    notice_id: int
    new: bool = Field(description="false when the user had already subscribed")


@router.post("/notices/{notice_id}/subscribe", response_model=Subscribed)
async def subscribe(
    notice_id: RowId, body: NoticeSubscription, user: UserDep, services: ServicesDep
) -> Subscribed:
    """The omnibox's "Notify me" on an incident notice: its updates and its end are pushed
    to the user, here in the widget, or on the channel they use last."""
    new = await services.subscriptions.subscribe(
        notice_id,
        email=user.email,
        channel=CHANNEL,
        language=body.language or services.settings.default_language,
    )
    return Subscribed(notice_id=notice_id, new=new)


@router.post("/conversations", status_code=status.HTTP_201_CREATED)
async def start(
    body: NewWidgetConversation, user: UserDep, services: ServicesDep, widget: WidgetDep
) -> WidgetConversation:
    conversation = await services.engine.start(
        channel=CHANNEL, user_id=user.email, language=body.language
    )
    return to_conversation(conversation, await widget.events.cursor(user.email))


@router.get("/conversations/{conversation_id}")
async def transcript(
    conversation_id: Annotated[str, CONVERSATION_ID],
    user: UserDep,
    services: ServicesDep,
    widget: WidgetDep,
) -> WidgetConversation:
    """The conversation so far, and the cursor to read pushed messages from."""
    cursor = await widget.events.cursor(user.email)
    return to_conversation(await owned(services, user, conversation_id), cursor)


@router.post("/conversations/{conversation_id}/messages")
async def message(
    conversation_id: Annotated[str, CONVERSATION_ID],
    body: WidgetMessage,
    user: UserDep,
    services: ServicesDep,
) -> WidgetReplies:
    await owned(services, user, conversation_id)
    # Ticket updates go to the channel the user spoke on last: from now on, this widget.
    await ChannelAddressStore(services.database).touch(
        email=user.email, channel=CHANNEL, address={"conversation_id": conversation_id}
    )
    handled = await services.engine.turn(
        conversation_id,
        body.text,
        body.language,
        timezone=body.timezone,
        proven=True,  # the portal's signed token names the user, who owns the conversation
    )
    # the language after the message comes with the replies: no second read of the transcript
    # Links to the user's ticket pages sign them in there (bot/auth/chat_links).
    replies = await services.chat_links.sign(
        handled.replies, user.email, channel=CHANNEL, name=user.name
    )
    return WidgetReplies(
        conversation_id=conversation_id, language=handled.language, replies=replies
    )


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def events(
    request: Request,
    user: UserDep,
    widget: WidgetDep,
    services: ServicesDep,
    after: Annotated[str | None, Query(max_length=64, description="a cursor")] = None,
    last_event_id: Annotated[str | None, Header(max_length=64)] = None,
) -> StreamingResponse:
    """Server-sent events: messages pushed to this user (ticket updates, agents), from the
    cursor on. A stream lasts `stream_seconds` (the widget reconnects with Last-Event-ID), or
    until the token expires (the widget reconnects with a new one)."""
    cursor = last_event_id or after or await widget.events.cursor(user.email)
    keepalive = widget.settings.keepalive_seconds

    async def stream() -> AsyncIterator[str]:
        nonlocal cursor
        yield "retry: 2000\n\n"
        ends = utcnow() + timedelta(seconds=widget.settings.stream_seconds)
        while not await request.is_disconnected():
            if (user.expires - utcnow()).total_seconds() <= 0:
                yield "event: expired\ndata: {}\n\n"
                return
            left = (min(ends, user.expires) - utcnow()).total_seconds()
            if left <= 0:
                return  # the widget reconnects from the last id it got
            batch = await widget.events.read(user.email, cursor, wait_seconds=min(keepalive, left))
            cursor = batch.cursor
            if batch.missed:  # fetch the transcript again: pushed messages are in it
                yield f"id: {cursor}\nevent: resync\ndata: {{}}\n\n"
                continue
            for event in batch.events:
                signed = await services.chat_links.sign(
                    event.replies, user.email, channel=CHANNEL, name=user.name
                )
                pushed = to_event(replace(event, replies=signed))
                data = json.dumps(pushed.model_dump(mode="json"), ensure_ascii=False)
                yield f"id: {event.cursor}\nevent: message\ndata: {data}\n\n"
            if not batch.events:
                yield ": keep-alive\n\n"

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
