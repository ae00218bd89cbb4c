"""The per-user log of pushed messages that the widget's event stream reads."""

from __future__ import annotations

import asyncio

import pytest

from bot.channels.protocol import ChatChannel
from bot.domain import Reply
from connectors.web.push import EventLog, WebChannel

pytestmark = pytest.mark.unit


def replies(text: str) -> list[Reply]:
    return [Reply(text=text)]


async def test_a_reader_gets_what_comes_after_its_cursor() -> None:
    log = EventLog()
    start = log.cursor("marie@x.example")
    log.append("marie@x.example", "c1", replies("one"))
    log.append("paul@x.example", "c2", replies("for paul"))
    log.append("marie@x.example", "c1", replies("two"))
    batch = await log.read("marie@x.example", start, wait_seconds=0.01)
    assert [e.replies[0].text for e in batch.events] == ["one", "two"]
    assert not batch.missed and batch.cursor == log.cursor("marie@x.example")
    again = await log.read("marie@x.example", batch.cursor, wait_seconds=0.01)
    assert again.events == [] and again.cursor == batch.cursor


async def test_a_waiting_reader_wakes_up_on_a_push() -> None:
    log = EventLog()
    channel = WebChannel(log)
    assert isinstance(channel, ChatChannel)
    cursor = log.cursor("marie@x.example")
    reader = asyncio.create_task(log.read("marie@x.example", cursor, wait_seconds=5))
    await asyncio.sleep(0.01)
    assert log.listening("marie@x.example")
    await channel.push(user_id="Marie@X.example", conversation_id=None, replies=replies("hi"))
    batch = await asyncio.wait_for(reader, 1)
    assert [e.replies[0].text for e in batch.events] == ["hi"]
    assert not log.listening("marie@x.example")


async def test_a_reader_too_far_behind_or_from_another_process_is_told_to_resync() -> None:
    log = EventLog(keep=2)
    old = log.cursor("marie@x.example")
    for text in ["a", "b", "c"]:
        log.append("marie@x.example", None, replies(text))
    assert (await log.read("marie@x.example", old, wait_seconds=0)).missed
    restarted = EventLog()
    restarted.append("marie@x.example", None, replies("after restart"))
    batch = await restarted.read("marie@x.example", log.cursor("marie@x.example"), wait_seconds=0)
    assert batch.missed and batch.cursor == restarted.cursor("marie@x.example")
