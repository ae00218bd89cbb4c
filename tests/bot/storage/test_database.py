"""The connection pool pings a connection only after it sat idle, and replaces one the server
dropped meanwhile (real PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.database import ping_when_idle
from tests.conftest import POSTGRES_ADMIN, _postgres_database

pytestmark = pytest.mark.integration


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


async def test_a_connection_used_a_moment_ago_is_not_pinged_an_idle_one_is(
    postgres_url: str,
) -> None:
    engine = create_async_engine(postgres_url, pool_size=1)
    ping_when_idle(engine, idle_seconds=0.3)
    pings: list[DBAPIConnection] = []
    ping = engine.dialect.do_ping

    def counted(connection: DBAPIConnection) -> bool:
        pings.append(connection)
        return ping(connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        for _ in range(3):
            async with engine.connect() as connection:
                assert await connection.scalar(text("SELECT 1")) == 1
        assert pings == []
        await asyncio.sleep(0.4)
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT 1")) == 1
        assert len(pings) == 1
    finally:
        await engine.dispose()


async def test_a_connection_the_server_dropped_while_idle_is_replaced(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url, pool_size=1)
    ping_when_idle(engine, idle_seconds=0.2)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        await asyncio.sleep(0.3)
        async with engine.connect() as connection:
            second = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert second != first
    finally:
        await engine.dispose()
