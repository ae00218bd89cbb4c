"""`POST /api/messages`: activities from the Bot Connector, token checked before anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response

from bot.api.errors import error_response
from bot.channels.protocol import ChatChannel
from bot.channels.throttle import channel_limits
from bot.kernel.errors import NotAuthenticated
from bot.settings import Settings
from connectors.teams.app import TeamsConnector
from connectors.teams.auth import Unauthorized
from connectors.teams.channel import TeamsChannel

if TYPE_CHECKING:
    from bot.services import Services

PATH = "/api/messages"


def mount(app: FastAPI, settings: Settings) -> Callable[[Services], ChatChannel]:
    """Mount the Agents SDK adapter; the returned factory hands it the services at start."""
    connector = TeamsConnector(settings, channel_limits(app))
    app.state.teams = connector

    @app.post(PATH, include_in_schema=False)
    async def teams_messages(request: Request) -> Response:
        """401 unless the Bearer token is signed by a trusted issuer, for this bot, unexpired."""
        try:
            request.state.claims_identity = await connector.validator.claims(
                request.headers.get("Authorization")
            )
        except Unauthorized as exc:
            return error_response(
                NotAuthenticated(reason=f"invalid or missing Bot Framework token ({exc})")
            )
        response = await connector.adapter.process(request, connector.agent)
        return response or Response(status_code=202)

    def start(services: Services) -> ChatChannel:
        connector.attach(services)
        return TeamsChannel(connector)

    return start


class TeamsPlugin:
    """Microsoft Teams (Bot Framework activities), mounted when the app id is set."""

    name = "teams"

    def enabled(self, settings: Settings) -> bool:
        return bool(settings.teams.app_id)

    def mount(self, app: FastAPI, settings: Settings) -> Callable[[Services], ChatChannel]:
        return mount(app, settings)
