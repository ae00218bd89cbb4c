"""The Slack app: slack-bolt's `AsyncApp`, its listeners, and what they need from Guichet.

Every listener acknowledges at once (Bolt answers Slack before the listener's work is done, as
`process_before_response=False`), then talks to the conversation engine and posts the replies
through the Web API. Slack resends an event it thinks was lost (`X-Slack-Retry-Num`); each event
id is handled once, so a slow answer never produces a second reply.

Messages, button clicks, the `/helpdesk` modal and its suggestions count against the web API's
rate limits for the user's e-mail (bot/channels/throttle.py); over them, the request is still
acknowledged and dropped, and the user is told once per window to slow down.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.addresses import ChannelAddressStore
from bot.channels.conversations import UserConversations
from bot.channels.locale import language_of
from bot.channels.registry import ChannelUnavailable
from bot.channels.throttle import ChannelLimits, Refusal
from bot.kernel.domain import Reply
from bot.kernel.errors import NotFound
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.protection.ratelimit import Category
from bot.scale.redis_link import RedisLink
from bot.settings import Settings
from connectors.slack import translate
from connectors.slack.authorization import BoundedAuthorization

if TYPE_CHECKING:
    from bot.services import Services

logger = logging.getLogger(__name__)

USER_CACHE_SECONDS = 3600.0
EVENT_MEMORY_SECONDS = 3600.0  # Slack retries within minutes; an hour is plenty
MAX_REMEMBERED = 100_000
SHUTDOWN_SECONDS = 10.0
# What Slack's Web API being unreachable (or down) raises.
UNREACHABLE = (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, TimeoutError)


@dataclass(frozen=True)
class SlackUser:
    id: str
    email: str  # the key that follows the user across channels
    language: Language
    timezone: str | None = None  # users.info's `tz`, an IANA name ("Europe/Paris")


class RecentEvents:
    """Event ids already taken, so a retried delivery is acknowledged and dropped.

    Remembered in the process, and in Redis when GUICHET_REDIS_URL is set, since Slack may
    deliver a retry to another process than the first attempt.
    """

    def __init__(self, seconds: float = EVENT_MEMORY_SECONDS) -> None:
        self._seconds = seconds
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def first_time(self, event_id: str, redis: RedisLink | None = None) -> bool:
        if not self._remember(event_id):
            return False
        if redis is None or not redis.usable:
            return True
        try:
            taken = await redis.client.set(
                redis.key(f"slack:event:{event_id}"), "1", nx=True, ex=int(self._seconds)
            )
        except (RedisError, OSError) as error:
            redis.failed(error)  # degraded: this process's memory only
            return True
        redis.succeeded()
        return bool(taken)

    def _remember(self, event_id: str) -> bool:
        now = time.monotonic()
        while self._seen and (
            next(iter(self._seen.values())) < now - self._seconds
            or len(self._seen) > MAX_REMEMBERED
        ):
            self._seen.popitem(last=False)
        if event_id in self._seen:
            return False
        self._seen[event_id] = now
        return True


class SlackConnector:
    """Owns the Bolt app and the Web API client; gets the services when the app starts."""

    def __init__(self, settings: Settings, limits: ChannelLimits) -> None:
        assert settings.slack_signing_secret and settings.slack_bot_token  # mount() checked
        self.settings = settings
        self.limits = limits
        token = settings.slack_bot_token.get_secret_value()
        base_url = settings.slack_api_url.rstrip("/") + "/"
        self.client = AsyncWebClient(token=token, base_url=base_url)
        self.bolt = AsyncApp(
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            client=self.client,
            process_before_response=False,
            logger=logging.getLogger("slack_bolt"),
        )
        self.authorization = BoundedAuthorization(token, base_url)
        middlewares = self.bolt._async_middleware_list
        bolt_own = [
            i for i, m in enumerate(middlewares) if isinstance(m, AsyncSingleTeamAuthorization)
        ]
        assert len(bolt_own) == 1, "slack-bolt changed how it authorizes a single workspace"
        middlewares[bolt_own[0]] = self.authorization
        self.bolt.error(self._on_error)
        self.events = RecentEvents()
        self._services: Services | None = None
        self._session: aiohttp.ClientSession | None = None
        self._busy: set[asyncio.Task[Any]] = set()
        self.conversations = UserConversations(translate.CHANNEL)
        self._users: dict[str, tuple[float, SlackUser]] = {}
        self._turns: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._listen()

    # -- lifecycle ---------------------------------------------------------------------------

    def attach(self, services: Services) -> None:
        """Start serving: the services, and one HTTP session for every Web API call."""
        self._services = services
        self._session = aiohttp.ClientSession()
        self.client.session = self._session  # Bolt's per-request clients share it
        self.authorization.client.session = self._session
        warm_up = asyncio.get_running_loop().create_task(self._warm_up())
        self._busy.add(warm_up)
        warm_up.add_done_callback(self._busy.discard)

    async def _warm_up(self) -> None:
        """Ask Slack who the bot is now rather than on the first events, which would all ask
        at once and wait for it before being acknowledged."""
        try:
            await self.authorization.who_am_i()
        except UNREACHABLE as error:
            logger.warning(
                "Slack auth.test failed at start-up (retried on the first event): %r", error
            )

    async def aclose(self) -> None:
        """Let the listeners at work finish (Bolt runs them after acknowledging), then close."""
        if self._busy:
            await asyncio.wait(self._busy, timeout=SHUTDOWN_SECONDS)
        if self._session is not None:
            self.client.session = None
            self.authorization.client.session = None
            await self._session.close()
            self._session = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise ChannelUnavailable(channel=translate.CHANNEL, reason="the app is starting")
        return self._services

    @property
    def addresses(self) -> ChannelAddressStore:
        return ChannelAddressStore(self.services.database)

    async def _on_error(self, error: Exception) -> BoltResponse | None:
        """A signed request Guichet could not handle because Slack's Web API cannot be reached
        (Bolt asks `auth.test` before acknowledging): acknowledged all the same, since Slack
        would send it again and again otherwise, and logged; anything else stays a 500."""
        if not isinstance(error, UNREACHABLE):
            logger.error("Slack request failed: %r", error, exc_info=error)
            return None
        logger.warning(
            "Slack request acknowledged and dropped: Slack's Web API is unreachable: %r", error
        )
        return BoltResponse(status=200, body="")

    # -- users -------------------------------------------------------------------------------

    async def user(self, user_id: str, client: AsyncWebClient) -> SlackUser:
        """The user's e-mail and language from `users.info`, kept for an hour."""
        cached = self._users.get(user_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        response = await client.users_info(user=user_id, include_locale=True)
        info: dict[str, Any] = response.get("user") or {}
        email = (info.get("profile") or {}).get("email")
        user = SlackUser(
            id=user_id,
            # without the users:read.email scope: a stable name, not shared with other channels
            email=(email or f"{user_id}@{info.get('team_id', 'slack')}.slack").lower(),
            language=language_of(info.get("locale"), self.settings.default_language),
            timezone=info.get("tz") if isinstance(info.get("tz"), str) else None,
        )
        self._users[user_id] = (time.monotonic() + USER_CACHE_SECONDS, user)
        return user

    # -- the conversation ----------------------------------------------------------------------

    async def converse(
        self,
        user: SlackUser,
        text: str,
        client: AsyncWebClient,
        *,
        channel: str,
        thread_ts: str | None = None,
    ) -> None:
        """Hand the user's text to the engine and post its replies, in order, per user."""
        self._track()
        lock = self._turns.get(user.id)
        if lock is None:
            lock = self._turns[user.id] = asyncio.Lock()
        async with lock:
            replies = await self.conversations.handle(
                self.services.engine,
                user.email,
                text,
                hint=user.language,
                timezone=user.timezone,
                proven=True,  # bolt verified the request's signature; Slack named the user
            )
            await self.post(client, channel, replies, email=user.email, thread_ts=thread_ts)
            # where to push later: the DM with the app (posting to a user id opens it); after
            # the reply, which the user is waiting for
            dm = channel if channel.startswith("D") else user.id
            await self.addresses.touch(
                email=user.email,
                channel=translate.CHANNEL,
                address={"user": user.id, "channel": dm},
            )

    def _track(self) -> None:
        """Count the running listener until it ends, so shutdown can wait for it."""
        task = asyncio.current_task()
        if task is not None and task not in self._busy:
            self._busy.add(task)
            task.add_done_callback(self._busy.discard)

    async def post(
        self,
        client: AsyncWebClient,
        channel: str,
        replies: list[Reply],
        *,
        email: str,
        thread_ts: str | None = None,
    ) -> None:
        """Post `replies` for the user `email`: links to their ticket pages sign them in there
        (bot/auth/chat_links)."""
        replies = await self.services.chat_links.sign(replies, email, channel=translate.CHANNEL)
        for reply in replies:
            message = translate.reply_message(reply, self.settings.effective_public_url)
            if thread_ts:
                message["thread_ts"] = thread_ts
            await client.chat_postMessage(channel=channel, **message)

    # -- rate limits -------------------------------------------------------------------------

    async def admit(
        self,
        category: Category,
        user: SlackUser,
        body: dict[str, Any],
        client: AsyncWebClient,
        channel: str | None,
        thread_ts: str | None = None,
    ) -> bool:
        """Count the user's request; over the limit, tell them where they wrote (once)."""
        self._track()
        return await self.limits.admit(
            category,
            user.email,
            tell=self._teller(user, client, channel, thread_ts),
            workspace=translate.workspace_of(body),
        )

    def _teller(
        self,
        user: SlackUser,
        client: AsyncWebClient,
        channel: str | None,
        thread_ts: str | None = None,
    ) -> Callable[[Refusal], Awaitable[None]]:
        """Posts the "slow down" reply: only to the user in a shared channel, else in the DM."""

        async def tell(refusal: Refusal) -> None:
            message = translate.reply_message(Reply(text=refusal.text(user.language)))
            try:
                if channel and not channel.startswith("D"):
                    await client.chat_postEphemeral(
                        channel=channel, user=user.id, thread_ts=thread_ts, **message
                    )
                else:  # a DM, or no channel (the modal): the DM with the app
                    await client.chat_postMessage(channel=channel or user.id, **message)
            except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError) as error:
                logger.warning("could not tell %s to slow down: %s", user.id, error)

        return tell

    # -- listeners ---------------------------------------------------------------------------

    def _listen(self) -> None:
        app = self.bolt
        app.event("message")(self._on_message)
        app.event("app_mention")(self._on_mention)
        app.action(translate.BUTTON_ACTION)(self._on_button)
        app.command("/helpdesk")(self._on_command)
        app.options(translate.SEARCH_ACTION)(self._on_options)
        app.view(translate.SEARCH_CALLBACK)(self._on_submission)

    async def _on_message(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Direct messages; messages in channels come through `app_mention`."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await self._on_event(body, event, client, thread_ts=None)

    async def _on_mention(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await self._on_event(body, event, client, thread_ts=event.get("thread_ts") or event["ts"])

    async def _on_event(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        *,
        thread_ts: str | None,
    ) -> None:
        event_id = body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}"
        if not await self.events.first_time(event_id, self.services.scale.link):
            logger.info("Slack event %s already handled; retry dropped", event_id)
            return
        text = translate.message_text(event.get("text") or "")
        if not text or "user" not in event:
            return
        user = await self.user(event["user"], client)
        if not await self.admit("messages", user, body, client, event["channel"], thread_ts):
            return
        await self.converse(user, text, client, channel=event["channel"], thread_ts=thread_ts)

    async def _on_button(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user = await self.user(body["user"]["id"], client)
        channel = (body.get("channel") or {}).get("id") or body["container"]["channel_id"]
        if not await self.admit("messages", user, body, client, channel):
            return  # the buttons stay: the user may click again once the wait is over
        message = body.get("message") or {}
        if message.get("ts"):  # buttons answered once: they give way to what was chosen
            await client.chat_update(
                channel=channel,
                ts=message["ts"],
                text=message.get("text", ""),
                blocks=translate.answered_blocks(
                    message.get("blocks", []), action["text"]["text"], user.language
                ),
            )
        await self.converse(user, action["value"], client, channel=channel)

    async def _on_command(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        user = await self.user(body["user_id"], client)
        # opening the modal reaches neither the engine nor the ITSM tool: like any other write;
        # told in the DM, since the app may not be a member of the channel the command came from
        if not await self.admit("writes", user, body, client, None):
            return
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=translate.search_modal(user.language, (body.get("text") or "").strip()),
        )

    async def _on_options(
        self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Suggestions as the user types; over the limit, none (the answer cannot wait)."""
        self._track()
        user = await self.user(body["user"]["id"], client)
        refusal = await self.limits.check("suggestions", user.email, translate.workspace_of(body))
        if refusal is not None:
            await ack(options=[])
            await self.limits.tell(refusal, self._teller(user, client, None))
            return
        query = (body.get("value") or "").strip()
        language: Language = (
            "fr" if (body.get("view") or {}).get("private_metadata") == "fr" else "en"
        )
        found = await self.services.suggestions.suggest(query, language=language, limit=20)
        await ack(options=translate.options(found.suggestions))

    async def _on_submission(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        value, text = translate.submitted(view)
        if value is None and not text:
            language = "fr" if view.get("private_metadata") == "fr" else "en"
            await ack(
                response_action="errors",
                errors={
                    translate.SEARCH_BLOCK: t(
                        "Choose a suggestion or describe what you need.", language
                    )
                },
            )
            return
        await ack()
        user = await self.user(body["user"]["id"], client)
        if not await self.admit("messages", user, body, client, None):
            return
        if value and value.startswith(translate.NOTICE_VALUE):
            await self._post_notice(value, user, client)
            return
        await self.converse(user, value or text, client, channel=user.id)

    async def _post_notice(self, value: str, user: SlackUser, client: AsyncWebClient) -> None:
        notice_id = value.removeprefix(translate.NOTICE_VALUE).removeprefix("notice-")
        try:
            notice = await self.services.notices.get(int(notice_id))
        except (ValueError, NotFound):
            return
        await self.post(
            client, user.id, [translate.notice_reply(notice, user.language)], email=user.email
        )
