"""Moving-window rate limits per user, per address and per chat workspace, in memory or shared
through Redis.

The `limits` library does the counting: in Redis, each check is one Lua script (atomic across
processes and machines); without Redis, in the process's memory.

A generous limit (the omnibox's 300 suggestions a minute, a keystroke each) would cost a Redis
round trip per keystroke: with Redis, a process takes a few hits of such a limit at once (a
lease: at most `lease_hits`, and at most one fiftieth of the limit) and spends them on the
caller's next requests within `lease_seconds`. The shared count never goes over the limit;
hits taken and left unspent make a refusal come at most that many requests early. Tight
limits (messages, writes) are counted one request at a time.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
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
LEASE_SHARE = 50  # a lease takes at most 1/50 of a limit
MAX_LEASES = 10_000


@dataclass
class _Lease:
    left: int
    until: float  # time.monotonic() after which the hits left are not spent


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
        self._leases: dict[tuple[Category, Scope, str], _Lease] = {}
        self._warned_at = 0.0

    def lease_size(self, item: RateLimitItem) -> int:
        """Hits of `item` taken from Redis at once (1: none ahead of use)."""
        if self.pool is None:
            return 1
        return max(1, min(self.settings.lease_hits, item.amount // LEASE_SHARE))

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
                if await self._hit(item, category, scope, identity):
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

    async def _hit(self, item: RateLimitItem, category: Category, scope: Scope, key: str) -> bool:
        """One hit, from this process's lease when it holds one, else counted in the storage."""
        held = (category, scope, key)
        lease = self._leases.get(held)
        now = time.monotonic()
        if lease is not None and lease.left > 0 and lease.until > now:
            lease.left -= 1
            return True
        size = self.lease_size(item)
        if size > 1 and await self.limiter.hit(item, category, scope, key, cost=size):
            self._leases.pop(held, None)
            if len(self._leases) >= MAX_LEASES:  # the oldest goes first (insertion order)
                del self._leases[next(iter(self._leases))]
            self._leases[held] = _Lease(size - 1, now + self.settings.lease_seconds)
            return True
        # Near the limit (or a tight one): exactly one hit.
        return await self.limiter.hit(item, category, scope, key)

    def _warn(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at > 60:
            self._warned_at = now
            log.warning("rate limits not enforced: Redis unavailable (%s)", error)

    async def aclose(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()
