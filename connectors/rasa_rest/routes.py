"""`POST /webhooks/rest/webhook`: existing Rasa chat widgets and test tools talk to Guichet."""

from __future__ import annotations

from fastapi import APIRouter

from bot.api.deps import EngineDep
from connectors.rasa_rest.translate import CHANNEL, RestMessage, RestReply, to_rest

router = APIRouter(tags=["rasa rest channel"])


@router.post(
    "/webhooks/rest/webhook", response_model=list[RestReply], response_model_exclude_none=True
)
async def rest_webhook(body: RestMessage, engine: EngineDep) -> list[RestReply]:
    conversation = await engine.conversations.latest_for_user(channel=CHANNEL, user_id=body.sender)
    if conversation is None:
        conversation = await engine.start(channel=CHANNEL, user_id=body.sender)
    replies = await engine.handle(conversation.id, body.message)
    return [to_rest(body.sender, reply) for reply in replies]
