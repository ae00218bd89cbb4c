"""The `EventBus` plug-in point."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

Event = dict[str, Any]  # JSON-serialisable; always has "type"


class EventBus(Protocol):
    """Publish small JSON events on named topics; every current subscriber of the topic, in
    this process or another one sharing the bus, receives each event once, in publish order.

    There is no history: a subscriber gets what is published after `subscribe` returned (the
    console loads the current state, then follows events). Delivery is best effort: a consumer
    that falls far behind loses the oldest events rather than slowing the publisher, so an
    event says what changed and the consumer reloads what it shows when in doubt.
    """

    async def publish(self, topic: str, event: Event) -> None: ...

    async def publish_all(self, events: Sequence[tuple[str, Event]]) -> None:
        """`publish` each (topic, event) in order, at the cost of one (a single round trip)."""
        ...

    def subscribe(
        self, *topics: str
    ) -> AbstractAsyncContextManager[AsyncIterator[tuple[str, Event]]]:
        """`async with bus.subscribe("a", "b") as events: async for topic, event in events`."""
        ...

    async def aclose(self) -> None: ...
