"""Every EventBus: subscribers get what is published after they subscribed, in order, per topic;
Redis carries events between two buses (two connections, as two processes have)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from bot.events import EventBus, MemoryBus, RedisBus, open_bus
from bot.events.protocol import Event

REDIS_URL = "redis://127.0.0.1:6379/0"


async def _take(events: AsyncIterator[tuple[str, Event]], count: int) -> list[tuple[str, Event]]:
    async def take() -> list[tuple[str, Event]]:
        return [await anext(events) for _ in range(count)]

    return await asyncio.wait_for(take(), timeout=5)


@pytest.fixture(
    params=["memory", pytest.param("redis", marks=pytest.mark.integration)],
)
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[tuple[EventBus, EventBus]]:
    """A publisher's bus and a subscriber's: the same object in memory, two on Redis."""
    if request.param == "memory":
        bus = MemoryBus()
        yield bus, bus
        await bus.aclose()
    else:
        first, second = RedisBus(REDIS_URL), RedisBus(REDIS_URL)
        yield first, second
        await first.aclose()
        await second.aclose()


@pytest.fixture
def topic() -> Callable[[str], str]:
    run = uuid.uuid4().hex[:8]
    return lambda name: f"test-{run}-{name}"


async def test_subscribers_get_events_in_order_per_topic(
    buses: tuple[EventBus, EventBus], topic: Callable[[str], str]
) -> None:
    publisher, subscriber = buses
    await publisher.publish(topic("queue"), {"type": "before"})  # nobody listens yet: lost
    async with (
        subscriber.subscribe(topic("queue"), topic("conversation")) as events,
        subscriber.subscribe(topic("conversation")) as other,
    ):
        for number in range(3):
            await publisher.publish(topic("queue"), {"type": "changed", "n": number})
        await publisher.publish(topic("conversation"), {"type": "turn", "text": "hé"})
        await publisher.publish(topic("elsewhere"), {"type": "ignored"})
        got = await _take(events, 4)
        assert got == [
            *((topic("queue"), {"type": "changed", "n": n}) for n in range(3)),
            (topic("conversation"), {"type": "turn", "text": "hé"}),
        ]
        assert await _take(other, 1) == [(topic("conversation"), {"type": "turn", "text": "hé"})]
    # after the subscription ended, publishing still works and reaches no one
    await publisher.publish(topic("queue"), {"type": "after"})


async def test_events_published_together_arrive_in_order(
    buses: tuple[EventBus, EventBus], topic: Callable[[str], str]
) -> None:
    publisher, subscriber = buses
    async with subscriber.subscribe(topic("conversation"), topic("queue")) as events:
        await publisher.publish_all(
            [
                (topic("conversation"), {"type": "turn", "n": 1}),
                (topic("conversation"), {"type": "turn", "n": 2}),
                (topic("queue"), {"type": "activity"}),
            ]
        )
        await publisher.publish_all([])
        assert await _take(events, 3) == [
            (topic("conversation"), {"type": "turn", "n": 1}),
            (topic("conversation"), {"type": "turn", "n": 2}),
            (topic("queue"), {"type": "activity"}),
        ]


@pytest.mark.integration
async def test_redis_delivers_to_every_process(topic: Callable[[str], str]) -> None:
    console_a, console_b, api = (open_bus(REDIS_URL) for _ in range(3))
    assert isinstance(api, RedisBus)
    try:
        async with (
            console_a.subscribe(topic("escalations")) as a,
            console_b.subscribe(topic("escalations")) as b,
        ):
            await api.publish(topic("escalations"), {"type": "escalation", "id": 7})
            expected = [(topic("escalations"), {"type": "escalation", "id": 7})]
            assert await _take(a, 1) == expected
            assert await _take(b, 1) == expected
    finally:
        for bus in (console_a, console_b, api):
            await bus.aclose()


def test_without_redis_the_bus_is_in_memory() -> None:
    assert isinstance(open_bus(None), MemoryBus)
