"""`POST /slack/events`: Events API, interactivity, slash commands and options, one URL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from bot.channels.protocol import ChatChannel
from bot.channels.throttle import channel_limits
from bot.settings import Settings
from connectors.slack.app import SlackConnector
from connectors.slack.channel import SlackChannel

if TYPE_CHECKING:
    from bot.services import Services

PATH = "/slack/events"


def mount(app: FastAPI, settings: Settings) -> Callable[[Services], ChatChannel]:
    """Mount the Bolt app; the returned factory hands it the services when the app starts."""
    connector = SlackConnector(settings, channel_limits(app))
    handler = AsyncSlackRequestHandler(connector.bolt)
    app.state.slack = connector

    @app.post(PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """Bolt verifies the signature (401 when missing, wrong or older than 5 minutes)."""
        return await handler.handle(request)

    def start(services: Services) -> ChatChannel:
        connector.attach(services)
        return SlackChannel(connector)

    return start


class SlackPlugin:
    """Slack's Events API, mounted when the signing secret and the bot token are set."""

    name = "slack"

    def enabled(self, settings: Settings) -> bool:
        return bool(settings.slack_signing_secret and settings.slack_bot_token)

    def mount(self, app: FastAPI, settings: Settings) -> Callable[[Services], ChatChannel]:
        return mount(app, settings)
