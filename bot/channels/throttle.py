"""The web API's rate limits on the chat channels (Slack, Teams), and telling users to slow down.

Chat users are counted in the web API's buckets (`RateLimits`, same settings) under their e-mail,
so a person has one budget whatever the channel they write on. A vendor must get its answer
anyway (Slack resends what is not acknowledged within 3 s, and a 429 makes it retry), so a
refused message is acknowledged and dropped; its sender is told once per window to slow down and
when to try again, and the further messages refused within that window get no reply at all.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import FastAPI
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.channels.addresses import normalise_email
from bot.kernel.i18n import t, tn
from bot.kernel.language import Language
from bot.protection.errors import RateLimited
from bot.protection.ratelimit import Category, RateLimits, Scope

log = logging.getLogger("guichet.ratelimit")
MAX_REMEMBERED = 100_000


def wait_words(seconds: int, language: Language) -> str:
    """`seconds` as a person says it: "1 second", "45 seconds", "3 minutes"."""
    if seconds < 120:
        return tn("{n} second", "{n} seconds", max(1, seconds), language)
    return tn("{n} minute", "{n} minutes", math.ceil(seconds / 60), language)


@dataclass(frozen=True)
class Refusal:
    """A refused chat message: one more is accepted in `retry_after` seconds; `tell` is true for
    the first refusal of the user's window only. `scope`: whose budget is spent, the user's or
    their whole workspace's."""

    retry_after: int
    tell: bool
    scope: Scope = "user"

    def text(self, language: Language) -> str:
        wait = wait_words(self.retry_after, language)
        if self.scope == "workspace":
            return t(
                "Too many people in your organisation are writing to me right now. Please wait "
                "{wait} before writing again: until then, your messages are not read.",
                language,
                wait=wait,
            )
        return t(
            "You're sending me messages faster than I can take them. Please wait {wait} "
            "before writing again: until then, your messages are not read.",
            language,
            wait=wait,
        )


Tell = Callable[[Refusal], Awaitable[None]]


class ChannelLimits:
    """`admit` counts a chat message against its sender's budget, or refuses it."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        # The "slow down" reply once per user and window, across processes when Redis is set.
        self._redis = Redis(connection_pool=limits.pool) if limits.pool is not None else None
        self._told: dict[str, float] = {}  # e-mail -> end of its window (without Redis)
        self._warned_at = 0.0
        self.refusals = 0  # refused messages handled since start (told or not)

    async def check(
        self, category: Category, email: str, workspace: str | None = None
    ) -> Refusal | None:
        """None when the user may go on; otherwise the refusal (counted, not yet told).

        `workspace`: the Slack workspace or Teams tenant, as "slack:T0123" or "teams:<id>".
        """
        email = normalise_email(email)
        try:
            await self.limits.check(category, user=email, ip=None, workspace=workspace)
        except RateLimited as refused:
            retry_after = int(str(refused.fields["retry_after"]))
            return Refusal(
                retry_after=retry_after,
                tell=await self._first(email, retry_after),
                scope="workspace" if refused.fields["scope"] == "workspace" else "user",
            )
        return None

    async def tell(self, refusal: Refusal, send: Tell) -> None:
        """Send the "slow down" reply when it is the window's first refusal."""
        try:
            if refusal.tell:
                await send(refusal)
        finally:
            self.refusals += 1

    async def admit(
        self, category: Category, email: str, *, tell: Tell, workspace: str | None = None
    ) -> bool:
        """True when the message may be handled; otherwise the user is told (once) and False."""
        refusal = await self.check(category, email, workspace)
        if refusal is None:
            return True
        await self.tell(refusal, tell)
        return False

    async def _first(self, email: str, seconds: int) -> bool:
        """Whether this refusal is the first of the user's window (and mark it told)."""
        if self._redis is not None:
            key = f"{self.limits.settings.redis_key_prefix}:told:{email}"
            try:
                return bool(await self._redis.set(key, "1", nx=True, ex=max(1, seconds)))
            except (RedisError, OSError) as error:  # degraded: this process's memory
                if time.monotonic() - self._warned_at > 60:
                    self._warned_at = time.monotonic()
                    log.warning("rate-limit notices kept in memory: Redis unavailable (%s)", error)
        now = time.monotonic()
        if self._told.get(email, 0.0) > now:
            return False
        if len(self._told) >= MAX_REMEMBERED:
            self._told = {k: end for k, end in self._told.items() if end > now}
        self._told[email] = now + seconds
        return True


def channel_limits(app: FastAPI) -> ChannelLimits:
    """The app's chat-channel limits, one for every channel, over the web API's `RateLimits`."""
    existing: ChannelLimits | None = getattr(app.state, "channel_limits", None)
    if existing is None:
        existing = app.state.channel_limits = ChannelLimits(app.state.rate_limits)
    return existing
