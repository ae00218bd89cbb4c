"""One Redis client per process, and whether Redis can be used right now.

When a command fails, Redis is left alone for `retry_seconds` (the callers use their fallback:
PostgreSQL advisory locks, polling the index version); the next use after that tries again,
so the service recovers by itself when Redis is back.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger("guichet.scale")
PREFIX = "guichet:"


class RedisLink:
    def __init__(self, url: str, *, retry_seconds: float = 2.0, prefix: str = PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        # One retry on a fresh connection: a pooled connection is dead after Redis restarted.
        self.client: Redis = Redis.from_url(
            url,
            socket_connect_timeout=1.0,
            socket_timeout=2.0,
            retry=Retry(NoBackoff(), 1),
            health_check_interval=5,
        )
        self.problem: str | None = None
        self._skip_until = 0.0

    def key(self, name: str) -> str:
        return self.prefix + name

    @property
    def usable(self) -> bool:
        """False for a while after a failure: callers go straight to their fallback."""
        return time.monotonic() >= self._skip_until

    def failed(self, error: BaseException) -> None:
        if self.problem is None:
            log.warning("Redis at %s unavailable, degraded until it is back: %s", self.url, error)
        self.problem = f"{type(error).__name__}: {error}"
        self._skip_until = time.monotonic() + self.retry_seconds

    def succeeded(self) -> None:
        if self.problem is not None:
            log.info("Redis at %s is back", self.url)
        self.problem, self._skip_until = None, 0.0

    async def check(self) -> str | None:
        """Ping Redis; None when it answers, otherwise what is wrong."""
        try:
            await self.client.ping()
        except (RedisError, OSError) as error:
            self.failed(error)
            return self.problem
        self.succeeded()
        return None

    async def aclose(self) -> None:
        await self.client.aclose()
