"""Bearer tokens verified recently, so that a request does not cost a database transaction.

A token is remembered for `seconds` (GUICHET_AUTH__TOKEN_CACHE_SECONDS) after it was checked
in the database, and only while the process hears the event bus (`follow`): revoking a token
or changing its user (`guichet token revoke`, `guichet user update`) forgets it at once in the
process that did it and, through Redis pub/sub, in every other one. While the bus cannot be
heard nothing is remembered. A change made where Guichet does not announce it (in SQL, or by a
CLI without GUICHET_REDIS_URL) is honoured within `seconds`. Tokens are remembered by their
SHA-256, never in clear.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from bot.auth.roles import Principal
from bot.events.protocol import Event, EventBus

log = logging.getLogger("guichet.auth")
TOPIC = "auth"
MAX_ENTRIES = 10_000
RESUBSCRIBE_SECONDS = 2.0


@dataclass(frozen=True)
class _Entry:
    principal: Principal
    token_expires_at: datetime | None  # the token's own expiry, checked on every hit
    until: float  # time.monotonic() after which the database is asked again


class TokenCache:
    """Token digest → the principal it authenticated, for a few seconds."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, _Entry] = {}
        # Raised by every forget: a check that began before one must not store its answer.
        self.generation = 0
        # True while `follow` hears the bus: otherwise revocations could go unheard.
        self.listening = False

    def get(self, token_digest: str, now: datetime) -> Principal | None:
        """The principal, unless unknown, older than `seconds` or past the token's expiry."""
        entry = self._entries.get(token_digest)
        if entry is None:
            return None
        if entry.until <= time.monotonic() or (
            entry.token_expires_at is not None and entry.token_expires_at <= now
        ):
            del self._entries[token_digest]
            return None
        return entry.principal

    def put(
        self,
        token_digest: str,
        principal: Principal,
        expires_at: datetime | None,
        *,
        generation: int,
    ) -> None:
        """Remember a check that began at `generation`, unless something was forgotten since."""
        if self.seconds <= 0 or not self.listening or generation != self.generation:
            return
        if len(self._entries) >= MAX_ENTRIES:  # the oldest goes first (insertion order)
            del self._entries[next(iter(self._entries))]
        self._entries[token_digest] = _Entry(principal, expires_at, time.monotonic() + self.seconds)

    def forget(self, *, token_id: int | None = None, user_id: int | None = None) -> None:
        """Forget a token (by id), or every token of a user."""
        self.generation += 1
        for key, entry in list(self._entries.items()):
            if (token_id is not None and entry.principal.token_id == token_id) or (
                user_id is not None and entry.principal.user_id == user_id
            ):
                self._entries.pop(key, None)

    def clear(self) -> None:
        self.generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, event: Event) -> None:
        """An event published by `announce`, in this process or another."""
        if event.get("type") == "token_revoked":
            self.forget(token_id=int(event["token_id"]))
        elif event.get("type") == "user_changed":
            self.forget(user_id=int(event["user_id"]))


async def announce(bus: EventBus | None, event: Event) -> None:
    """Tell every process to forget what `event` names; best effort (the time limit stands)."""
    if bus is None:
        return
    try:
        await bus.publish(TOPIC, event)
    except Exception as error:  # Redis down: the other processes forget within the time limit
        log.warning("could not announce %s to the other processes: %s", event["type"], error)


async def follow(cache: TokenCache, bus: EventBus, stop: asyncio.Event) -> None:
    """Apply the bus's `auth` events to `cache` until `stop` is set.

    Whenever the subscription is (re)made the cache is emptied: events published while this
    process was not listening are lost, what it remembered may be stale.
    """
    while not stop.is_set():
        try:
            async with bus.subscribe(TOPIC) as events:
                cache.clear()
                cache.listening = True
                waiting_stop = asyncio.ensure_future(stop.wait())
                try:
                    while not stop.is_set():
                        receiving = asyncio.ensure_future(anext(events))
                        done, _ = await asyncio.wait(
                            {receiving, waiting_stop}, return_when=asyncio.FIRST_COMPLETED
                        )
                        if receiving not in done:
                            receiving.cancel()
                            break
                        _, event = receiving.result()
                        cache.apply(event)
                finally:
                    cache.listening = False
                    cache.clear()
                    waiting_stop.cancel()
        except Exception as error:
            log.warning("not hearing token revocations (%s); retrying", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RESUBSCRIBE_SECONDS)
