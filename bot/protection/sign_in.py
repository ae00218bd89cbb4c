"""Failed console sign-ins, per account and per client address: growing waits, then a lock.

Counted in Redis when it is configured (one Lua script per change, shared by every process),
in the process's memory otherwise. A lock ends after its time, or when an admin lifts it
(`guichet user unlock`, written to the audit log): `check` asks `lifted` whether that happened
since the lock began, so the command reaches processes that keep their counts in memory too.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from bot.settings.limits import SignInLimitSettings

log = logging.getLogger("guichet.sign_in")
Scope = Literal["user", "address"]
# (scope, identity, lock start as a Unix time) -> whether an admin lifted it since
Lifted = Callable[[Scope, str, float], Awaitable[bool]]

_FAIL = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local now, free, delay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lock_after, lock, forget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local wait, locked = 0, 0
if failures >= lock_after then
  wait, locked = lock, 1
elseif failures >= free then
  wait = delay * 2 ^ (failures - free)
end
if wait > 0 then
  redis.call('HSET', KEYS[1], 'until', tostring(now + wait), 'locked', locked, 'since',
             tostring(now))
end
redis.call('EXPIRE', KEYS[1], math.ceil(wait + forget))
return {failures, tostring(now + wait), locked}
"""


@dataclass(frozen=True)
class Wait:
    """A refused sign-in: try again in `retry_after` seconds; `locked`: a lock, not a delay."""

    scope: Scope
    retry_after: int
    locked: bool


@dataclass
class _State:
    failures: int = 0
    until: float = 0.0
    locked: bool = False
    since: float = 0.0
    expires: float = 0.0


class SignInThrottle:
    """`check` before the password is verified, then `failed` or `succeeded`."""

    def __init__(
        self, settings: SignInLimitSettings, pool: ConnectionPool | None, key_prefix: str
    ) -> None:
        self.settings = settings
        self.redis = Redis(connection_pool=pool) if pool is not None else None
        self.prefix = f"{key_prefix}:sign-in"
        self.memory: dict[str, _State] = {}
        self._fail = self.redis.register_script(_FAIL) if self.redis is not None else None

    def _key(self, scope: Scope, identity: str) -> str:
        return f"{self.prefix}:{scope}:{identity}"

    @staticmethod
    def identities(email: str, address: str | None) -> list[tuple[Scope, str]]:
        account = email.strip().lower()[:255]
        found: list[tuple[Scope, str]] = [("user", account)]
        if address:
            found.append(("address", address))
        return found

    async def check(self, email: str, address: str | None, lifted: Lifted) -> Wait | None:
        """The wait still to run for this account or address, the longest; None: go ahead."""
        if not self.settings.enabled:
            return None
        waits: list[Wait] = []
        now = time.time()
        for scope, identity in self.identities(email, address):
            state = await self._read(self._key(scope, identity))
            if state is None or state.until <= now:
                continue
            if state.locked and await lifted(scope, identity, state.since):
                await self.forget(scope, identity)
                continue
            waits.append(Wait(scope, max(1, math.ceil(state.until - now)), state.locked))
        return max(waits, key=lambda wait: wait.retry_after, default=None)

    async def failed(self, email: str, address: str | None) -> list[tuple[Scope, str, Wait]]:
        """Count a wrong password; the waits it starts (a lock is audited by the caller)."""
        if not self.settings.enabled:
            return []
        started: list[tuple[Scope, str, Wait]] = []
        for scope, identity in self.identities(email, address):
            wait = await self._count(self._key(scope, identity))
            if wait is not None:
                started.append((scope, identity, Wait(scope, wait[0], wait[1])))
        return started

    async def succeeded(self, email: str) -> None:
        """The account's failures are forgotten; the address's are not, or one account of
        the attacker's own would wipe the count of its guesses at others'."""
        await self.forget("user", email.strip().lower()[:255])

    async def forget(self, scope: Scope, identity: str) -> None:
        key = self._key(scope, identity)
        if self.redis is None:
            self.memory.pop(key, None)
            return
        try:
            await self.redis.delete(key)
        except RedisError as error:
            log.warning("sign-in failures not forgotten: Redis unavailable (%s)", error)

    async def _read(self, key: str) -> _State | None:
        if self.redis is None:
            state = self.memory.get(key)
            if state is not None and state.expires <= time.time():
                del self.memory[key]
                return None
            return state
        try:
            found = await self.redis.hgetall(key)
        except RedisError as error:
            log.warning("sign-in throttle not enforced: Redis unavailable (%s)", error)
            return None
        if not found:
            return None
        return _State(
            failures=int(found[b"failures"]),
            until=float(found.get(b"until", 0)),
            locked=found.get(b"locked") == b"1",
            since=float(found.get(b"since", 0)),
        )

    async def _count(self, key: str) -> tuple[int, bool] | None:
        """One more failure; the seconds of the wait it starts and whether it is a lock."""
        settings, now = self.settings, time.time()
        lock = settings.lock_minutes * 60
        forget = settings.forget_minutes * 60
        if self._fail is None:
            state = await self._read(key) or _State()
            state.failures += 1
            wait, locked = self._wait(state.failures)
            if wait:
                state.until, state.locked, state.since = now + wait, locked, now
            state.expires = now + wait + forget
            self.memory[key] = state
        else:
            try:
                _, until, locked_flag = await self._fail(
                    keys=[key],
                    args=[
                        now,
                        settings.free_failures,
                        settings.first_delay_seconds,
                        settings.lock_after_failures,
                        lock,
                        forget,
                    ],
                )
            except RedisError as error:
                log.warning("sign-in failure not counted: Redis unavailable (%s)", error)
                return None
            wait, locked = float(until) - now, locked_flag == 1
        return (max(1, math.ceil(wait)), locked) if wait > 0 else None

    def _wait(self, failures: int) -> tuple[float, bool]:
        settings = self.settings
        if failures >= settings.lock_after_failures:
            return settings.lock_minutes * 60, True
        if failures >= settings.free_failures:
            return settings.first_delay_seconds * 2 ** (failures - settings.free_failures), False
        return 0.0, False
