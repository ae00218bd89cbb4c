"""`POST /webhook`: Guichet's actions for a Rasa assistant, as `rasa run actions` serves them.

A Rasa assistant's `endpoints.yml` points `action_endpoint` at `http://GUICHET/webhook`. The
call is run by rasa-sdk's own `ActionExecutor`; its answers are the ones rasa-sdk's endpoint
gives, because Rasa reads them: `{"events", "responses"}`, or `{"error", "action_name"}` with
400 (execution rejected, malformed call), 404 (unknown action) or 449 (domain missing).
"""

from __future__ import annotations

import json
import logging
import secrets
import zlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import (
    ActionExecutionRejection,
    ActionMissingDomainException,
    ActionNotFoundException,
)

from bot.api.deps import ServicesDep
from bot.api.schemas import openapi_body
from bot.kernel.errors import NotAuthenticated
from bot.services import Services
from bot.settings import Environment, Settings
from connectors.rasa_actions.actions import served_actions
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.token import expected_token, token_path
from connectors.rasa_actions.translate import ActionCall, error_body, problem

log = logging.getLogger("guichet.rasa_actions")


def build_executor(services: Services) -> ActionExecutor:
    executor = ActionExecutor()
    for action in served_actions(RasaBridge(services)):
        executor.register_action(action)
    return executor


async def get_executor(request: Request, services: ServicesDep) -> ActionExecutor:
    """One executor per app, built on first use from the app's services."""
    built: tuple[Services, ActionExecutor] | None = getattr(request.app.state, "rasa_actions", None)
    if built is None or built[0] is not services:
        built = (services, build_executor(services))
        request.app.state.rasa_actions = built
    return built[1]


async def check_token(request: Request, services: ServicesDep) -> None:
    """Rasa must send the token (`token:` of the action endpoint: `?token=`), in every
    environment: the configured one, or in development the one generated in GUICHET_DATA_DIR."""
    expected = expected_token(services.settings)
    if not expected:
        raise NotAuthenticated(
            reason="GUICHET_RASA_ACTIONS__TOKEN is not set; outside development the "
            "action server is closed without it"
        )
    given = request.query_params.get("token") or request.headers.get("authorization", "")
    if not secrets.compare_digest(given.removeprefix("Bearer ").encode(), expected.encode()):
        raise NotAuthenticated(reason="the action server token (?token=) is missing or wrong")


ExecutorDep = Annotated[ActionExecutor, Depends(get_executor)]
router = APIRouter(tags=["rasa action server"], dependencies=[Depends(check_token)])


class ActionResult(BaseModel):
    events: list[dict[str, Any]]
    responses: list[dict[str, Any]]


class ActionError(BaseModel):
    error: str
    action_name: str | None


def _read(raw: bytes, encoding: str | None) -> dict[str, Any] | str:
    """The call as a dict, or what is wrong with the body."""
    if encoding == "deflate":  # Rasa's COMPRESS_ACTION_SERVER_REQUEST
        try:
            raw = zlib.decompress(raw)
        except zlib.error as error:
            return f"body: not deflate-compressed ({error})"
    try:
        body = json.loads(raw)
    except ValueError as error:
        return f"body: not JSON ({error})"
    return body if isinstance(body, dict) else "body: expected a JSON object"


@router.post(
    "/webhook",
    response_model=ActionResult,
    responses={
        400: {"model": ActionError, "description": "execution rejected, or a malformed call"},
        401: {"description": "the token is missing or wrong"},
        404: {"model": ActionError, "description": "no action of that name"},
        449: {"model": ActionError, "description": "the call has no domain: send it again"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": openapi_body(ActionCall)}},
        }
    },
)
async def webhook(request: Request, executor: ExecutorDep) -> JSONResponse:
    """Run the action Rasa names in `next_action` on the conversation in `tracker`."""
    body = _read(await request.body(), request.headers.get("content-encoding"))
    if isinstance(body, str):
        return JSONResponse(error_body(body, None), status_code=400)
    try:
        ActionCall.model_validate(body)
    except ValidationError as error:
        name = body.get("next_action")
        return JSONResponse(
            error_body(problem(error), name if isinstance(name, str) else None), status_code=400
        )
    try:
        result = await executor.run(body)
    except ActionExecutionRejection as error:
        return JSONResponse(error_body(error.message, error.action_name), status_code=400)
    except ActionNotFoundException as error:
        return JSONResponse(error_body(error.message, error.action_name), status_code=404)
    except ActionMissingDomainException as error:
        return JSONResponse(error_body(error.message, error.action_name), status_code=449)
    return JSONResponse(result.model_dump())


@router.get("/actions", response_model=list[dict[str, str]])
async def list_actions(executor: ExecutorDep) -> list[dict[str, str]]:
    """The actions served, like rasa-sdk's `GET /actions`."""
    return [{"name": item.name} for item in executor.list_actions()]


class RasaActionsPlugin:
    """Guichet's actions served to a Rasa assistant (the action-server protocol)."""

    name = "rasa_actions"

    def enabled(self, settings: Settings) -> bool:
        return True

    def mount(self, app: FastAPI, settings: Settings) -> None:
        app.include_router(router)
        if (
            settings.environment is Environment.DEVELOPMENT
            and not settings.rasa_actions.token.get_secret_value()
        ):
            expected_token(settings)  # made now, so that it can be given to Rasa before a call
            log.info(
                "the Rasa action server (/webhook) needs the token kept in %s "
                "(`guichet rasa action-token` prints it); set GUICHET_RASA_ACTIONS__TOKEN "
                "to choose it",
                token_path(settings),
            )
