"""One message of a conversation at a time, across every process that shares the lock.

`ConversationLocks.hold(conversation_id)` is what the dialogue engine wraps each message in.
Three implementations: in-process (`LocalLocks`, one process), PostgreSQL advisory locks
(several processes, no Redis) and Redis locks with a time-to-live renewed while held (several
processes; falls back to PostgreSQL or in-process locks while Redis is unavailable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio.lock import Lock as RedisLock
from redis.exceptions import LockError, RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.scale.errors import ConversationBusy
from bot.scale.redis_link import RedisLink

log = logging.getLogger("guichet.scale")
ADVISORY_NAMESPACE = 0x6775  # first key of the two-key advisory lock: "gu"
POLL_SECONDS = 0.01


class ConversationLocks(Protocol):
    """Mutual exclusion per conversation id.

    `hold(key)` waits until no other holder of `key` remains, within the implementation's
    reach (one process, or every process sharing the database or Redis), and raises
    `ConversationBusy` after waiting too long. `describe()` says what the locks rely on.
    """

    def hold(self, key: str) -> AbstractAsyncContextManager[None]: ...

    def describe(self) -> str: ...

    async def aclose(self) -> None: ...


class LocalLocks:
    """asyncio locks of this process, forgotten when no message holds or waits for them."""

    def __init__(self, *, wait_seconds: float = 30.0) -> None:
        self.wait_seconds = wait_seconds
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        try:
            await asyncio.wait_for(lock.acquire(), self.wait_seconds)
        except TimeoutError:
            raise ConversationBusy(conversation_id=key, waited=self.wait_seconds) from None
        try:
            yield
        finally:
            lock.release()

    def describe(self) -> str:
        return "in-process"

    async def aclose(self) -> None:
        return None


class PostgresLocks:
    """Session-level advisory locks, on connections of their own.

    A lock lives on its connection: a process that dies or loses the database releases it. The
    locks' own pool keeps a held lock from taking the connection the message needs.
    """

    def __init__(self, url: str, *, wait_seconds: float = 30.0, pool_size: int = 20) -> None:
        self.wait_seconds = wait_seconds
        self.local = LocalLocks(wait_seconds=wait_seconds)
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
        )

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        # Messages of this process queue on the cheap in-process lock first.
        async with self.local.hold(key), self.engine.connect() as connection:
            deadline = time.monotonic() + self.wait_seconds
            params = {"space": ADVISORY_NAMESPACE, "key": key}
            while not await connection.scalar(
                text("SELECT pg_try_advisory_lock(:space, hashtext(:key))"), params
            ):
                if time.monotonic() > deadline:
                    raise ConversationBusy(conversation_id=key, waited=self.wait_seconds)
                await asyncio.sleep(POLL_SECONDS)
            try:
                yield
            finally:
                with contextlib.suppress(Exception):  # a lost connection released it already
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:space, hashtext(:key))"), params
                    )
                with contextlib.suppress(Exception):
                    await connection.rollback()

    def describe(self) -> str:
        return "PostgreSQL advisory locks"

    async def aclose(self) -> None:
        await self.engine.dispose()


class RedisLocks:
    """Redis locks (SET NX PX, released by token), renewed while the message is processed.

    While Redis is unavailable the `fallback` is used and `describe()` says so.
    """

    def __init__(
        self,
        link: RedisLink,
        fallback: ConversationLocks,
        *,
        ttl_seconds: float = 30.0,
        wait_seconds: float = 30.0,
    ) -> None:
        self.link = link
        self.fallback = fallback
        self.ttl_seconds = ttl_seconds
        self.wait_seconds = wait_seconds
        self.local = LocalLocks(wait_seconds=wait_seconds)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self.local.hold(key):
            lock = await self._acquire(key) if self.link.usable else None
            if lock is None:
                async with self.fallback.hold(key):
                    yield
                return
            renewal = asyncio.create_task(self._renew(lock))
            try:
                yield
            finally:
                renewal.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewal
                await self._release(lock, key)

    async def _acquire(self, key: str) -> RedisLock | None:
        """The Redis lock, or None when Redis failed (the fallback is used instead)."""
        lock = self.link.client.lock(
            self.link.key(f"lock:conversation:{key}"),
            timeout=self.ttl_seconds,
            sleep=POLL_SECONDS,
            blocking_timeout=self.wait_seconds,
        )
        try:
            acquired = await lock.acquire()
        except (RedisError, OSError) as error:
            self.link.failed(error)
            return None
        if not acquired:
            raise ConversationBusy(conversation_id=key, waited=self.wait_seconds)
        self.link.succeeded()
        return lock

    async def _renew(self, lock: RedisLock) -> None:
        while True:
            await asyncio.sleep(self.ttl_seconds / 3)
            try:
                await lock.extend(self.ttl_seconds, replace_ttl=True)
            except (RedisError, OSError) as error:
                log.warning("conversation lock %s not renewed: %s", lock.name, error)
                return

    async def _release(self, lock: RedisLock, key: str) -> None:
        try:
            await lock.release()
        except LockError:
            log.warning("conversation %s: lock expired before the message was done", key)
        except (RedisError, OSError) as error:
            self.link.failed(error)  # it expires by itself after its time to live

    def describe(self) -> str:
        if self.link.problem is None:
            return "Redis"
        return f"{self.fallback.describe()} while Redis is unavailable"

    async def aclose(self) -> None:
        await self.fallback.aclose()
