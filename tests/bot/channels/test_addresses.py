"""Where users are reached, on SQLite and PostgreSQL: one address per channel, the last used."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.channels.addresses import ChannelAddressStore
from bot.storage.database import Database

pytestmark = pytest.mark.unit


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ChannelAddressStore]:
    database = Database(database_url)
    await database.migrate()
    yield ChannelAddressStore(database)
    await database.close()


async def test_unknown_user_has_no_address(store: ChannelAddressStore) -> None:
    assert await store.last_used("nobody@norvane.example") is None
    assert await store.get("nobody@norvane.example", "slack") is None


async def test_last_used_follows_the_user_across_channels(store: ChannelAddressStore) -> None:
    await store.touch(email="Ann@Norvane.example", channel="slack", address={"channel": "D1"})
    await store.touch(email="ann@norvane.example", channel="teams", address={"id": "a:1"})
    last = await store.last_used("ANN@norvane.example ")
    assert last is not None
    assert (last.email, last.channel, last.address) == (
        "ann@norvane.example",
        "teams",
        {"id": "a:1"},
    )

    await store.touch(email="ann@norvane.example", channel="slack", address={"channel": "D2"})
    last = await store.last_used("ann@norvane.example")
    assert last is not None and (last.channel, last.address) == ("slack", {"channel": "D2"})
    teams = await store.get("ann@norvane.example", "teams")
    assert teams is not None and teams.address == {"id": "a:1"}
    assert teams.last_used_at < last.last_used_at
    assert teams.last_used_at.tzinfo is not None


async def test_concurrent_first_touches_keep_one_row(store: ChannelAddressStore) -> None:
    await asyncio.gather(
        *(
            store.touch(email="bob@norvane.example", channel="slack", address={"n": n})
            for n in range(8)
        )
    )
    address = await store.get("bob@norvane.example", "slack")
    assert address is not None and address.address["n"] in range(8)
