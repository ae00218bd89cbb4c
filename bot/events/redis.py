"""The event bus over Redis pub/sub: every process subscribed to a topic gets its events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from bot.events.protocol import Event

PREFIX = "guichet:events:"
SUBSCRIBE_TIMEOUT = 5.0


class RedisBus:
    def __init__(self, url: str) -> None:
        self._redis: Redis = Redis.from_url(url)

    async def publish(self, topic: str, event: Event) -> None:
        await self._redis.publish(PREFIX + topic, json.dumps(event, default=str))

    async def publish_all(self, events: Sequence[tuple[str, Event]]) -> None:
        if not events:
            return
        pipeline = self._redis.pipeline(transaction=False)
        for topic, event in events:
            pipeline.publish(PREFIX + topic, json.dumps(event, default=str))
        await pipeline.execute()

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[AsyncIterator[tuple[str, Event]]]:
        pubsub = self._redis.pubsub()
        channels = {PREFIX + topic for topic in topics}
        await pubsub.subscribe(*channels)
        # Wait for Redis to confirm each subscription: what is published from then on arrives.
        confirmed = 0
        while confirmed < len(channels):
            message = await pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT)
            if message is None:
                raise TimeoutError(f"Redis did not confirm the subscription to {sorted(channels)}")
            confirmed += message.get("type") == "subscribe"

        async def events() -> AsyncIterator[tuple[str, Event]]:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                channel = message["channel"]
                name = channel.decode() if isinstance(channel, bytes) else str(channel)
                yield name.removeprefix(PREFIX), json.loads(message["data"])

        try:
            yield events()
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def aclose(self) -> None:
        await self._redis.aclose()
