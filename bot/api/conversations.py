"""Conversations over plain JSON: start one, send messages, read the transcript.

Employees talk as themselves and see only their own conversations; agents and admins (an
integration's token) may start and read any.

Nothing said here is proven to come from the conversation's user the way Slack's signature,
Teams' JWT or the portal's token prove it, so messages sent here never decide an approval
(DialogueEngine.handle's `proven`), and only an admin may start a conversation on the channel
name of one of those connectors (a transcript on "slack" reads as what the person said there).
"""

from __future__ import annotations

from fastapi import APIRouter, status

from bot.api.deps import EngineDep, ServicesDep
from bot.api.schemas import (
    ConversationDetail,
    ConversationOut,
    MessageOut,
    NewConversation,
    NewMessage,
)
from bot.auth import CurrentUser, check_owner
from bot.kernel.domain import Conversation
from bot.kernel.errors import Forbidden

# The channels whose connectors start their own conversations, having proven who writes.
CONNECTOR_CHANNELS = frozenset({"slack", "teams", "web"})

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


def _out(conversation: Conversation) -> dict[str, object]:
    return {
        **conversation.model_dump(exclude={"state", "transcript", "user_id"}),
        "user": conversation.user_id,
    }


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConversationOut)
async def start_conversation(
    body: NewConversation, engine: EngineDep, caller: CurrentUser
) -> dict[str, object]:
    check_owner(caller, body.user, "a conversation for another user")
    if body.channel in CONNECTOR_CHANNELS and not caller.has_role("admin"):
        raise Forbidden(
            who=caller.email,
            action=f"start a conversation on channel {body.channel!r}",
            reason="its connector starts those, having proven who writes; "
            "use 'api' (the default) or a channel name of your own",
        )
    conversation = await engine.start(
        channel=body.channel, user_id=body.user, language=body.language
    )
    return _out(conversation)


@router.post("/{conversation_id}/messages", response_model=MessageOut)
async def post_message(
    conversation_id: str, body: NewMessage, engine: EngineDep, caller: CurrentUser
) -> MessageOut:
    # One read of the conversation: the owner check and the reply's language ride on the
    # engine's (two database round trips less per message).
    handled = await engine.turn(
        conversation_id,
        body.text,
        body.language,
        check_owner=lambda owner: check_owner(caller, owner, f"conversation {conversation_id}"),
    )
    return MessageOut(
        conversation_id=conversation_id, language=handled.language, replies=handled.replies
    )


@router.get("/{conversation_id}", response_model=ConversationDetail)
async def get_conversation(
    conversation_id: str, services: ServicesDep, caller: CurrentUser
) -> dict[str, object]:
    conversation = await services.conversations.get(conversation_id)
    check_owner(caller, conversation.user_id, f"conversation {conversation_id}")
    return {**_out(conversation), "transcript": conversation.transcript}
