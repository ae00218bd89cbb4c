"""`POST /webhooks/rest/webhook`: existing Rasa chat widgets and test tools talk to Guichet.

Rasa's REST channel has no authentication of its own and trusts `sender`; here the caller needs
a token or session: an employee may only send as themselves (their e-mail), an agent or admin
token (a chat integration) as anyone.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from bot.api.deps import EngineDep
from bot.auth import CurrentUser, check_owner
from bot.settings import Settings
from connectors.rasa_rest.translate import CHANNEL, RestMessage, RestReply, language_hint, to_rest

router = APIRouter(tags=["rasa rest channel"])


@router.post(
    "/webhooks/rest/webhook",
    response_model=list[RestReply],
    response_model_exclude_none=True,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RestMessage.model_json_schema()}},
        }
    },
)
async def rest_webhook(request: Request, engine: EngineDep, caller: CurrentUser) -> list[RestReply]:
    """Like Rasa, read the body as JSON whatever its content type says (`curl -d` sends none)."""
    try:
        body = RestMessage.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from exc
    check_owner(caller, body.sender, "a conversation of another sender")
    conversation = await engine.conversations.latest_for_user(channel=CHANNEL, user_id=body.sender)
    if conversation is None:
        conversation = await engine.start(channel=CHANNEL, user_id=body.sender)
    replies = await engine.handle(conversation.id, body.message, hint=language_hint(body))
    return [to_rest(body.sender, reply) for reply in replies]


class RasaRestPlugin:
    """Rasa's REST channel, always mounted (callers need a token or a session)."""

    name = "rasa_rest"

    def enabled(self, settings: Settings) -> bool:
        return True

    def mount(self, app: FastAPI, settings: Settings) -> None:
        app.include_router(router)
