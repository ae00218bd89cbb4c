"""`POST /slack/events`: Events API, interactivity, slash commands and options, one URL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.api.errors import error_response
from bot.channels.protocol import ChatChannel
from bot.channels.throttle import channel_limits
from bot.kernel.errors import NotAuthenticated
from bot.settings import Settings
from connectors.slack.app import SlackConnector
from connectors.slack.channel import SlackChannel

if TYPE_CHECKING:
    from bot.services import Services

PATH = "/slack/events"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
MAX_TIMESTAMP_DIGITS = 12


def malformed_signature_headers(headers: Mapping[str, str]) -> str | None:
    """What is wrong with the signature headers' form, which Bolt's check would raise on (a
    500) rather than refuse: a timestamp that is not a Unix time in ASCII digits ("abc", "1e3")
    or a signature with other than ASCII characters. A missing header is Bolt's 401."""
    timestamp = headers.get(TIMESTAMP_HEADER)
    if timestamp is not None and not (
        timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= MAX_TIMESTAMP_DIGITS
    ):
        return f"{TIMESTAMP_HEADER} must be a Unix time in seconds, got {timestamp[:40]!r}"
    signature = headers.get(SIGNATURE_HEADER)
    if signature is not None and not signature.isascii():
        return f"{SIGNATURE_HEADER} must be 'v0=' and a hexadecimal digest"
    return None


def mount(app: FastAPI, settings: Settings) -> Callable[[Services], ChatChannel]:
    """Mount the Bolt app; the returned factory hands it the services when the app starts."""
    connector = SlackConnector(settings, channel_limits(app))
    handler = AsyncSlackRequestHandler(connector.bolt)
    assert settings.slack_signing_secret is not None  # the plug-in mounts Slack only with it
    verifier = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
    app.state.slack = connector

    @app.post(PATH, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """401 unless the signature is Slack's and under 5 minutes old. It is checked here,
        before Bolt reads the body: Bolt builds its context from the payload first, and a
        forged payload of the wrong shape (a number, `"authorizations": 1`) made it raise."""
        malformed = malformed_signature_headers(request.headers)
        if malformed:
            return error_response(NotAuthenticated(reason=malformed))
        signed = verifier.is_valid(
            await request.body(),
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
        )
        if not signed:
            return error_response(
                NotAuthenticated(reason="the Slack signature is missing, wrong or too old")
            )
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
