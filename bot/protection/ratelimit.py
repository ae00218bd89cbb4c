"""Moving-window rate limits per user, per address and per chat workspace, in memory or shared
through Redis.

The `limits` library does the counting: in Redis, each check is one Lua script (atomic across
processes and machines); without Redis, in the process's memory.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Literal

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from bot.protection.errors import RateLimited
from bot.settings.limits import LimitSettings

log = logging.getLogger("guichet.ratelimit")
Category = Literal["messages", "suggestions", "writes"]
Scope = Literal["user", "ip", "workspace"]
SCOPES: tuple[Scope, ...] = ("user", "ip", "workspace")
CATEGORIES: tuple[Category, ...] = ("messages", "suggestions", "writes")


def storage_for(pool: ConnectionPool | None, key_prefix: str) -> Storage:
    if pool is None:
        return MemoryStorage()
    return RedisStorage(
        "async+redis://",  # only the scheme counts: the connections come from `pool`
        implementation="redispy",
        key_prefix=key_prefix,
        wrap_exceptions=True,
        connection_pool=pool,  # type: ignore[arg-type]
    )


class RateLimits:
    """`check` counts one request of a category for a user, an address and a workspace, or
    refuses it."""

    def __init__(self, settings: LimitSettings, redis_url: str | None = None) -> None:
        self.settings = settings
        self.pool = (
            ConnectionPool.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
            if redis_url
            else None
        )
        self.storage = storage_for(self.pool, settings.redis_key_prefix)
        self.limiter = MovingWindowRateLimiter(self.storage)
        self.items: dict[tuple[Category, Scope], RateLimitItem] = {}
        for category in CATEGORIES:
            for scope in SCOPES:
                rate: str = getattr(settings, f"{category}_per_{scope}")
                if rate:
                    self.items[category, scope] = parse(rate)
        self._warned_at = 0.0

    async def check(
        self,
        category: Category,
        *,
        user: str | None,
        ip: str | None,
        workspace: str | None = None,
    ) -> None:
        """Raise RateLimited (with the seconds to wait) when one of the limits is spent.

        `workspace` is a chat channel's tenant ("slack:T0123", "teams:<tenant id>"): a whole
        Slack workspace or Teams tenant, whose calls all come from the vendor's addresses.

        When Redis cannot be reached the request goes through (and a warning is logged once a
        minute): a rate limit must not take the service down with it.
        """
        if not self.settings.enabled:
            return
        identities: tuple[tuple[Scope, str | None], ...] = (
            ("user", user),
            ("ip", ip),
            ("workspace", workspace),
        )
        for scope, identity in identities:
            item = self.items.get((category, scope))
            if item is None or not identity:
                continue
            try:
                if await self.limiter.hit(item, category, scope, identity):
                    continue
                stats = await self.limiter.get_window_stats(item, category, scope, identity)
            except StorageError as error:
                self._warn(error)
                continue
            raise RateLimited(
                scope=scope,
                limit=f"{item.amount} per {item.multiples} {item.GRANULARITY.name}",
                retry_after=max(1, math.ceil(stats.reset_time - time.time())),
            )

    def _warn(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            log.warning("rate limits not enforced: Redis unavailable (%s)", error)

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
