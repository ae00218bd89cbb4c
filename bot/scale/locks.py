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
import uuid
import weakref
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.scale.errors import ConversationBusy
from bot.scale.redis_link import RedisLink

log = logging.getLogger("guichet.scale")
ADVISORY_NAMESPACE = 0x6775  # first key of the two-key advisory lock: "gu"
POLL_SECONDS = 0.01
# A Redis lock's value is its holder's token: only the holder releases or renews it (the
# scripts of redis-py's Lock, which these replace).
RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""
RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


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
            async with asyncio.timeout(self.wait_seconds):  # a timer, not wait_for's task
                await lock.acquire()
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
        self._release_script = link.client.register_script(RELEASE)
        self._renew_script = link.client.register_script(RENEW)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        async with self.local.hold(key):
            token = await self._acquire(key) if self.link.usable else None
            if token is None:
                async with self.fallback.hold(key):
                    yield
                return
            # Renewed from a third of its time to live on: most messages are done before, and
            # a timer costs less than a task per message.
            renewals: list[asyncio.Task[None]] = []
            timer = asyncio.get_running_loop().call_later(
                self.ttl_seconds / 3,
                lambda: renewals.append(asyncio.create_task(self._renew(key, token))),
            )
            try:
                yield
            finally:
                timer.cancel()
                for renewal in renewals:
                    renewal.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await renewal
                await self._release(key, token)

    def _name(self, key: str) -> str:
        return self.link.key(f"lock:conversation:{key}")

    async def _acquire(self, key: str) -> str | None:
        """The lock's token, or None when Redis failed (the fallback is used instead)."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + self.wait_seconds
        try:
            while not await self.link.client.set(self._name(key), token, nx=True, px=self._ttl_ms):
                if time.monotonic() > deadline:
                    raise ConversationBusy(conversation_id=key, waited=self.wait_seconds)
                await asyncio.sleep(POLL_SECONDS)
        except (RedisError, OSError) as error:
            self.link.failed(error)
            return None
        self.link.succeeded()
        return token

    @property
    def _ttl_ms(self) -> int:
        return int(self.ttl_seconds * 1000)

    async def _renew(self, key: str, token: str) -> None:
        while True:
            try:
                renewed = await self._renew_script(
                    keys=[self._name(key)], args=[token, self._ttl_ms]
                )
            except (RedisError, OSError) as error:
                log.warning("conversation lock %s not renewed: %s", key, error)
                return
            if not renewed:
                log.warning("conversation lock %s not renewed: no longer held", key)
                return
            await asyncio.sleep(self.ttl_seconds / 3)

    async def _release(self, key: str, token: str) -> None:
        try:
            released = await self._release_script(keys=[self._name(key)], args=[token])
        except (RedisError, OSError) as error:
            self.link.failed(error)  # it expires by itself after its time to live
            return
        if not released:
            log.warning("conversation %s: lock expired before the message was done", key)

    def describe(self) -> str:
        if self.link.problem is None:
            return "Redis"
        return f"{self.fallback.describe()} while Redis is unavailable"

    async def aclose(self) -> None:
        await self.fallback.aclose()
