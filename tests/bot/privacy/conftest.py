from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage.database import Database


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, SQLite or PostgreSQL."""
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()
