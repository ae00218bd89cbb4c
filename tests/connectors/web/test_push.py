"""The log of pushed messages that the widget's event stream reads: the same assertions on the
in-memory log (one process) and on the real Redis at 127.0.0.1:6379 (several processes)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.channels.protocol import ChatChannel
from bot.channels.registry import ChannelUnavailable
from bot.kernel.domain import Reply
from bot.scale.redis_link import RedisLink
from bot.services import Components
from bot.settings import Settings
from connectors.web.push import EventLog, MemoryEventLog, WebChannel
from connectors.web.redis_events import RedisEventLog

REDIS_URL = "redis://127.0.0.1:6379/0"
MARIE, PAUL = "marie@x.example", "paul@x.example"

MakeLog = Callable[..., EventLog]


def replies(text: str) -> list[Reply]:
    return [Reply(text=text, buttons=[], links=[])]


def texts(events: list[object]) -> list[str]:
    return [e.replies[0].text for e in events]  # type: ignore[attr-defined]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.integration)])
async def make_log(request: pytest.FixtureRequest) -> AsyncIterator[MakeLog]:
    """Logs of one kind; Redis logs made here share a fresh prefix, like processes do."""
    links: list[RedisLink] = []
    prefix = f"guichet-test-{uuid.uuid4().hex[:8]}:"

    def make(keep: int = 200) -> EventLog:
        if request.param == "memory":
            return MemoryEventLog(keep=keep)
        link = RedisLink(REDIS_URL, prefix=prefix)
        links.append(link)
        return RedisEventLog(link, keep=keep)

    yield make
    for link in links:
        async for key in link.client.scan_iter(match=prefix + "*"):
            await link.client.delete(key)
        await link.aclose()


async def test_a_reader_gets_what_comes_after_its_cursor(make_log: MakeLog) -> None:
    log = make_log()
    start = await log.cursor(MARIE)
    await log.append(MARIE, "c1", replies("one"))
    await log.append(PAUL, "c2", replies("for paul"))
    await log.append(MARIE, "c1", replies("two"))
    batch = await log.read(MARIE, start, wait_seconds=0)
    assert texts(batch.events) == ["one", "two"]  # type: ignore[arg-type]
    assert batch.events[0].conversation_id == "c1"
    assert not batch.missed and batch.cursor == await log.cursor(MARIE)
    again = await log.read(MARIE, batch.cursor, wait_seconds=0.05)
    assert again.events == [] and again.cursor == batch.cursor and not again.missed


async def test_a_waiting_reader_wakes_up_on_a_push(make_log: MakeLog) -> None:
    log = make_log()
    channel = WebChannel(log)
    assert isinstance(channel, ChatChannel)
    cursor = await log.cursor(MARIE)
    reader = asyncio.create_task(log.read(MARIE, cursor, wait_seconds=5))
    await asyncio.sleep(0.2)
    assert not reader.done()
    await channel.push(user_id="Marie@X.example", conversation_id=None, replies=replies("hi"))
    batch = await asyncio.wait_for(reader, 2)
    assert texts(batch.events) == ["hi"]  # type: ignore[arg-type]


async def test_a_reader_too_far_behind_or_with_a_foreign_cursor_is_told_to_resync(
    make_log: MakeLog,
) -> None:
    log = make_log(keep=2)
    old = await log.cursor(MARIE)
    for text in ["a", "b", "c"]:
        await log.append(MARIE, None, replies(text))
    behind = await log.read(MARIE, old, wait_seconds=0)
    assert behind.missed and behind.events == [] and behind.cursor == await log.cursor(MARIE)
    foreign = await log.read(MARIE, "feedbeef.12", wait_seconds=0)
    assert foreign.missed and foreign.cursor == await log.cursor(MARIE)


@pytest.mark.integration
async def test_with_redis_a_push_in_one_process_reaches_a_widget_on_another() -> None:
    prefix = f"guichet-test-{uuid.uuid4().hex[:8]}:"
    links = [RedisLink(REDIS_URL, prefix=prefix) for _ in range(2)]  # one per process
    first, second = (RedisEventLog(link) for link in links)
    try:
        cursor = await second.cursor(MARIE)
        reader = asyncio.create_task(second.read(MARIE, cursor, wait_seconds=5))
        await asyncio.sleep(0.2)
        await WebChannel(first).push(user_id=MARIE, conversation_id="c", replies=replies("there"))
        batch = await asyncio.wait_for(reader, 3)
        assert texts(batch.events) == ["there"]  # type: ignore[arg-type]
    finally:
        await links[0].client.delete(prefix + "web:events:" + MARIE)
        for link in links:
            await link.aclose()


@pytest.mark.integration
async def test_with_redis_down_a_push_is_kept_for_later_and_a_reader_waits() -> None:
    link = RedisLink("redis://127.0.0.1:1/0", retry_seconds=0.1)  # nothing listens there
    log = RedisEventLog(link)
    with pytest.raises(ChannelUnavailable, match="Redis"):
        await WebChannel(log).push(user_id=MARIE, conversation_id=None, replies=replies("x"))
    batch = await log.read(MARIE, "0-0", wait_seconds=0.1)
    assert batch.events == [] and not batch.missed
    assert link.problem is not None
    await link.aclose()


@pytest.mark.integration
@pytest.mark.slow
async def test_the_app_uses_redis_for_the_web_channel_when_configured(
    components: Components, web_settings: Settings
) -> None:
    settings = web_settings.model_copy(update={"redis_url": REDIS_URL})
    services = await open_services(settings, components)
    app = create_app(settings, services)
    try:
        async with app.router.lifespan_context(app):
            channel = services.channels.get("web")
            assert isinstance(channel, WebChannel)
            assert isinstance(channel.events, RedisEventLog)
            assert app.state.widget.events is channel.events
    finally:
        await services.close()
