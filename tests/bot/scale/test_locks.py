"""Conversation locks: one holder per key, across instances that stand for separate processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from bot.scale.errors import ConversationBusy
from bot.scale.locks import ConversationLocks, LocalLocks, PostgresLocks, RedisLocks
from bot.scale.redis_link import RedisLink
from tests.conftest import _postgres_database
from tests.contracts.fakes.server import free_port

SHARED_REDIS = "redis://127.0.0.1:6379/0"
Factory = Callable[[float], ConversationLocks]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture(params=["postgresql", "redis"])
async def two_processes(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[ConversationLocks, ConversationLocks]]:
    """Two lock sets that know nothing of each other but the server they share."""
    opened: list[ConversationLocks] = []
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
        opened = [PostgresLocks(url, wait_seconds=0.5) for _ in range(2)]
    else:
        prefix = f"guichet-test-{uuid.uuid4().hex[:8]}:"
        opened = [
            RedisLocks(
                RedisLink(SHARED_REDIS, prefix=prefix),
                LocalLocks(),
                ttl_seconds=0.3,
                wait_seconds=0.5,
            )
            for _ in range(2)
        ]
    try:
        yield opened[0], opened[1]
    finally:
        for locks in opened:
            await locks.aclose()
            if isinstance(locks, RedisLocks):
                await locks.link.aclose()


async def _overlaps(first: ConversationLocks, second: ConversationLocks, key2: str) -> int:
    """Two holders of 'c1' and 'key2' at once: how many ran inside the same window."""
    inside = 0
    most = 0

    async def work(locks: ConversationLocks, key: str) -> None:
        nonlocal inside, most
        async with locks.hold(key):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.15)
            inside -= 1

    await asyncio.gather(work(first, "c1"), work(second, key2))
    return most


@pytest.mark.unit
async def test_local_locks_serialise_one_conversation_in_arrival_order() -> None:
    locks = LocalLocks()
    order: list[int] = []

    async def message(number: int) -> None:
        async with locks.hold("c1"):
            await asyncio.sleep(0.01)
            order.append(number)

    await asyncio.gather(*(message(n) for n in range(5)))
    assert order == [0, 1, 2, 3, 4]
    assert await _overlaps(locks, locks, "c2") == 2


@pytest.mark.unit
async def test_a_local_lock_held_too_long_makes_the_next_message_busy() -> None:
    locks = LocalLocks(wait_seconds=0.1)
    async with locks.hold("c1"):
        with pytest.raises(ConversationBusy, match="still being processed"):
            async with locks.hold("c1"):
                pass


@pytest.mark.integration
async def test_two_processes_never_hold_one_conversation_at_once(
    two_processes: tuple[ConversationLocks, ConversationLocks],
) -> None:
    first, second = two_processes
    assert await _overlaps(first, second, "c1") == 1
    assert await _overlaps(first, second, "c2") == 2
    async with first.hold("c1"):
        with pytest.raises(ConversationBusy):
            async with second.hold("c1"):
                pass
    async with second.hold("c1"):  # released: free again
        pass


@pytest.mark.integration
async def test_a_redis_lock_is_renewed_while_held_and_expires_if_its_holder_dies() -> None:
    prefix = f"guichet-test-{uuid.uuid4().hex[:8]}:"
    first, second = (
        RedisLocks(RedisLink(SHARED_REDIS, prefix=prefix), LocalLocks(), ttl_seconds=0.3,
                   wait_seconds=0.2)
        for _ in range(2)
    )  # fmt: skip
    try:
        async with first.hold("c1"):
            await asyncio.sleep(0.8)  # past the time to live: renewed meanwhile
            with pytest.raises(ConversationBusy):
                async with second.hold("c1"):
                    pass
        # A holder that died (its renewal gone) lets go after the time to live.
        orphan = first.link.client.lock(first.link.key("lock:conversation:c2"), timeout=0.3)
        assert await orphan.acquire()
        second.wait_seconds = 2.0
        async with second.hold("c2"):
            pass
    finally:
        for locks in (first, second):
            await locks.link.aclose()


@pytest.mark.unit
async def test_without_redis_the_fallback_holds_and_says_so() -> None:
    link = RedisLink(f"redis://127.0.0.1:{free_port()}/0", retry_seconds=60)
    locks = RedisLocks(link, LocalLocks(), wait_seconds=0.2)
    assert locks.describe() == "Redis"
    async with locks.hold("c1"):
        assert link.problem is not None and "Connection" in link.problem
        with pytest.raises(ConversationBusy):
            async with locks.hold("c1"):
                pass
    assert locks.describe() == "in-process while Redis is unavailable"
    assert not link.usable
    await link.aclose()
