"""The event bus of a single process."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bot.events.protocol import Event

MAX_BACKLOG = 1000


class MemoryBus:
    def __init__(self) -> None:
        self._queues: defaultdict[str, set[asyncio.Queue[tuple[str, Event]]]] = defaultdict(set)

    async def publish(self, topic: str, event: Event) -> None:
        for queue in list(self._queues.get(topic, ())):
            if queue.full():  # a stalled consumer loses its oldest event, not the publisher
                queue.get_nowait()
            queue.put_nowait((topic, event))

    async def publish_all(self, events: Sequence[tuple[str, Event]]) -> None:
        for topic, event in events:
            await self.publish(topic, event)

    @asynccontextmanager
    async def subscribe(self, *topics: str) -> AsyncIterator[AsyncIterator[tuple[str, Event]]]:
        queue: asyncio.Queue[tuple[str, Event]] = asyncio.Queue(MAX_BACKLOG)
        for topic in topics:
            self._queues[topic].add(queue)

        async def events() -> AsyncIterator[tuple[str, Event]]:
            while True:
                yield await queue.get()

        try:
            yield events()
        finally:
            for topic in topics:
                self._queues[topic].discard(queue)
                if not self._queues[topic]:
                    del self._queues[topic]

    async def aclose(self) -> None:
        self._queues.clear()
