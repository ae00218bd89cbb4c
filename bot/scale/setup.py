"""What a process needs to run beside others: its Redis link and its conversation locks."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.scale.locks import ConversationLocks, LocalLocks, PostgresLocks, RedisLocks
from bot.scale.redis_link import RedisLink
from bot.settings import Settings


@dataclass
class Scale:
    locks: ConversationLocks = field(default_factory=LocalLocks)
    link: RedisLink | None = None

    async def redis_problem(self) -> str | None:
        """None when Redis answers or is not configured; otherwise what is wrong."""
        return None if self.link is None else await self.link.check()

    async def aclose(self) -> None:
        await self.locks.aclose()
        if self.link is not None:
            await self.link.aclose()


def open_scale(settings: Settings) -> Scale:
    """Redis locks when GUICHET_REDIS_URL is set, falling back to PostgreSQL advisory locks
    (or in-process ones on SQLite, which serves one process) while Redis is unavailable."""
    wait = settings.scale.lock_wait_seconds
    url = settings.effective_database_url
    fallback: ConversationLocks = (
        PostgresLocks(url, wait_seconds=wait)
        if url.startswith("postgresql")
        else LocalLocks(wait_seconds=wait)
    )
    if not settings.redis_url:
        return Scale(locks=fallback)
    link = RedisLink(settings.redis_url, retry_seconds=settings.scale.redis_retry_seconds)
    locks = RedisLocks(
        link, fallback, ttl_seconds=settings.scale.lock_ttl_seconds, wait_seconds=wait
    )
    return Scale(locks=locks, link=link)
