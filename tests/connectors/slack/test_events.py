"""Retried Slack events are recognised in one process, and across processes through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from bot.scale.redis_link import RedisLink
from connectors.slack.app import RecentEvents


@pytest.fixture
async def redis() -> AsyncIterator[RedisLink]:
    link = RedisLink("redis://127.0.0.1:6379/0", prefix=f"guichet-test-{uuid.uuid4().hex[:8]}:")
    yield link
    await link.client.delete(*(await link.client.keys(link.prefix + "*")) or ["none"])
    await link.aclose()


@pytest.mark.unit
async def test_one_process_takes_an_event_once() -> None:
    events = RecentEvents()
    assert await events.first_time("Ev1") is True
    assert await events.first_time("Ev1") is False
    assert await events.first_time("Ev2") is True


@pytest.mark.unit
async def test_forgotten_after_the_memory_span() -> None:
    events = RecentEvents(seconds=0.0)
    assert await events.first_time("Ev1") is True
    assert await events.first_time("Ev1") is True


@pytest.mark.integration
async def test_two_processes_share_what_they_took_through_redis(redis: RedisLink) -> None:
    first, second = RecentEvents(), RecentEvents()  # as in two processes
    assert await first.first_time("Ev0RETRY", redis) is True
    assert await second.first_time("Ev0RETRY", redis) is False
    assert await second.first_time("Ev0OTHER", redis) is True
    assert await redis.client.ttl(redis.key("slack:event:Ev0RETRY")) > 3000


@pytest.mark.integration
async def test_redis_down_falls_back_to_the_process_memory() -> None:
    down = RedisLink("redis://127.0.0.1:1/0", retry_seconds=60)
    try:
        events = RecentEvents()
        assert await events.first_time("Ev1", down) is True
        assert down.problem is not None and not down.usable
        assert await events.first_time("Ev1", down) is False
    finally:
        await down.aclose()
