"""Processes starting together on one PostgreSQL database migrate it one at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.storage.database import Database
from tests.conftest import _postgres_database

pytestmark = [pytest.mark.integration]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


async def test_processes_starting_together_migrate_a_fresh_database(postgres_url: str) -> None:
    databases = [Database(postgres_url) for _ in range(4)]
    try:
        # Without the lock they deadlocked (or failed on alembic_version): bounded here.
        await asyncio.wait_for(
            asyncio.gather(*(database.migrate() for database in databases)), timeout=120
        )
        async with databases[0].engine.connect() as connection:
            heads = await connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert len(heads.all()) >= 1
    finally:
        for database in databases:
            await database.close()
