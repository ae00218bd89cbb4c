"""The Teams agent: the Agents SDK's adapter, the turn handler, and proactive messages.

Activities reach `TeamsAgent.on_turn` through the SDK's `CloudAdapter` once `/api/messages` has
verified their token. Replies and proactive ticket updates go to the Bot Connector service at the
activity's `serviceUrl` with the bot's own token (client credentials).

Messages (typed, or a card's button) count against the web API's rate limits for the user's
e-mail (bot/channels/throttle.py); over them, the activity is still accepted and dropped, and the
user is told once per window to slow down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from microsoft_agents.activity import ActivityTypes, ConversationReference
from microsoft_agents.hosting.core import (
    ClaimsIdentity,
    OutboundHostValidator,
    TurnContext,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase, UserTokenClientBase
from microsoft_agents.hosting.core.connector.client import UserTokenClient
from microsoft_agents.hosting.core.connector.teams import TeamsConnectorClient
from microsoft_agents.hosting.fastapi import CloudAdapter

from bot.channels.addresses import ChannelAddressStore
from bot.channels.conversations import UserConversations
from bot.channels.locale import language_of
from bot.channels.registry import ChannelUnavailable
from bot.channels.throttle import ChannelLimits, Refusal
from bot.kernel.domain import Reply
from bot.settings import Settings
from connectors.teams import translate
from connectors.teams.auth import ClientCredentials, TokenValidator

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

USER_CACHE_SECONDS = 3600.0
TOKEN_SERVICE = "https://api.botframework.com"
WELCOME = "/greet"


class ConnectorClients:
    """The SDK's client factory: Bot Connector clients carrying the bot's own token."""

    def __init__(self, credentials: ClientCredentials) -> None:
        self._credentials = credentials

    async def create_connector_client(
        self,
        context: TurnContext | None,
        claims_identity: ClaimsIdentity,
        service_url: str,
        audience: str,
        scopes: list[str] | None = None,
        use_anonymous: bool = False,
    ) -> ConnectorClientBase:
        return TeamsConnectorClient(endpoint=service_url, token=await self._credentials.token())

    async def create_user_token_client(
        self, context: TurnContext, claims_identity: ClaimsIdentity, use_anonymous: bool = False
    ) -> UserTokenClientBase:
        # Guichet does not use the SDK's user sign-in; the client is built but never called.
        return UserTokenClient(
            endpoint=TOKEN_SERVICE, token="", app_id=claims_identity.get_app_id()
        )


class TeamsConnector:
    """Owns the adapter and the agent; gets the services when the app starts."""

    def __init__(self, settings: Settings, limits: ChannelLimits) -> None:
        teams = settings.teams
        self.settings = settings
        self.limits = limits
        self.app_id = teams.app_id
        self.validator = TokenValidator(teams)
        self.adapter = CloudAdapter(
            channel_service_client_factory=ConnectorClients(ClientCredentials(teams)),
            host_validator=OutboundHostValidator(
                teams.extra_service_hosts, enabled=teams.restrict_service_urls
            ),
        )
        self.adapter.on_turn_error = self._on_error
        self.agent = TeamsAgent(self)
        self._services: Services | None = None

    def attach(self, services: Services) -> None:
        self._services = services

    @property
    def services(self) -> Services:
        if self._services is None:
            raise ChannelUnavailable(channel=translate.CHANNEL, reason="the app is starting")
        return self._services

    @property
    def addresses(self) -> ChannelAddressStore:
        return ChannelAddressStore(self.services.database)

    async def proactive(
        self, reference: dict[str, Any], replies: list[Reply], *, email: str
    ) -> None:
        """Post into an existing conversation outside a turn (ticket updates)."""
        continuation = ConversationReference.model_validate(reference).get_continuation_activity()
        replies = await self.services.chat_links.sign(replies, email, channel=translate.CHANNEL)

        public_url = self.settings.effective_public_url
        activities = [translate.reply_activity(r, public_url) for r in replies]

        async def send(context: TurnContext) -> None:
            await context.send_activities(activities)

        await self.adapter.continue_conversation(self.app_id, continuation, send)

    @staticmethod
    async def _on_error(context: TurnContext, error: Exception) -> None:
        # The SDK's default handler prints the stack and sends it to the user; log it instead.
        logger.error("Teams turn failed", exc_info=error)
        raise error


class TeamsAgent:
    """Personal chat: each message (or card button) goes to the engine, replies as cards."""

    def __init__(self, connector: TeamsConnector) -> None:
        self._connector = connector
        self._emails: dict[str, tuple[float, str]] = {}
        self._conversations = UserConversations(translate.CHANNEL)
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.from_property is None:
            return
        if activity.type == ActivityTypes.message:
            text = translate.incoming_text(activity)
        elif activity.type == ActivityTypes.conversation_update and translate.bot_installed(
            activity
        ):
            text = WELCOME  # installed in personal chat: greet, and remember where the user is
        else:
            return
        if text is None:
            return
        email = await self._email(context)
        if activity.type == ActivityTypes.message and not await self._connector.limits.admit(
            "messages",
            email,
            tell=self._teller(context),
            workspace=translate.workspace_of(activity),
        ):
            return
        lock = self._turns.get(email)
        if lock is None:
            lock = asyncio.Lock()
            self._turns[email] = lock
        async with lock:
            services = self._connector.services
            reference = activity.get_conversation_reference()
            await self._connector.addresses.touch(
                email=email,
                channel=translate.CHANNEL,
                address=reference.model_dump(mode="json", by_alias=True, exclude_none=True),
            )
            language = language_of(activity.locale, self._connector.settings.default_language)
            replies = await self._conversations.handle(
                services.engine,
                email,
                text,
                hint=language,
                timezone=translate.timezone_of(activity),
                proven=True,  # the route validated the Bot Framework's JWT; Teams named the user
            )
            # Links to the user's ticket pages sign them in there (bot/auth/chat_links).
            replies = await services.chat_links.sign(replies, email, channel=translate.CHANNEL)
            public_url = self._connector.settings.effective_public_url
            await context.send_activities(
                [translate.reply_activity(r, public_url) for r in replies]
            )

    def _teller(self, context: TurnContext) -> Callable[[Refusal], Awaitable[None]]:
        """Replies "slow down" in the user's language (their Teams client's locale)."""
        language = language_of(context.activity.locale, self._connector.settings.default_language)

        async def tell(refusal: Refusal) -> None:
            await context.send_activity(
                translate.reply_activity(Reply(text=refusal.text(language)))
            )

        return tell

    async def _email(self, context: TurnContext) -> str:
        """The member's e-mail from the Bot Connector (what TeamsInfo.get_member asks)."""
        activity = context.activity
        sender = activity.from_property
        assert sender is not None and sender.id  # checked by on_turn
        cached = self._emails.get(sender.id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        email = translate.email_of(sender)
        client = context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
        if email is None and client is not None and activity.conversation is not None:
            member = await client.conversations.get_conversation_member(
                activity.conversation.id, sender.id
            )
            email = translate.email_of(member)
        # without one: a stable name, not shared with other channels
        email = email or f"{sender.aad_object_id or sender.id}@teams".lower()
        self._emails[sender.id] = (time.monotonic() + USER_CACHE_SECONDS, email)
        return email
