"""Shared fixtures: real SQLite and PostgreSQL databases, and the real model, index and NLU.

The index and the intent model are built for real once and cached under `var/test-cache`
(keyed by content hash, like in production), so later runs reuse them.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

from actions import handoff
from bot.app.services import load_components, open_services
from bot.kernel.domain import utcnow
from bot.kernel.sla import BusinessCalendar
from bot.services import Components, Services
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "test-cache"
POSTGRES_ADMIN = os.environ.get(
    "GUICHET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_database() -> Iterator[str]:
    name = f"guichet_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy_cached_index(index_dir: Path) -> None:
    """The shared index of the sample knowledge base (`components` builds it), copied as the
    published version at `index_dir`: a copy of the sample is up to date without embedding it
    all again, and publishing into the copy updates this index, never the shared one."""
    shutil.copytree((CACHE / "index").resolve(), index_dir.with_name(".index-cached"))
    index_dir.symlink_to(".index-cached")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every storage test runs once on SQLite and once on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture(autouse=True)
def desk_open(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-off reads the clock to know whether the service desk is open: a test that does
    not set it (the action's `clock` extra, as tests/actions/test_handoff.py does) meets an
    open desk at whatever hour the suite runs, the next opening of the default calendar."""
    calendar = BusinessCalendar()
    monkeypatch.setattr(handoff, "utcnow", lambda: calendar.next_opening(utcnow()))


@pytest.fixture(scope="session")
def cache_settings() -> Settings:
    return load_settings(data_dir=CACHE)


@pytest.fixture(scope="session")
async def components(cache_settings: Settings) -> Components:
    return await load_components(cache_settings)


@pytest.fixture
async def services(
    components: Components, database_url: str, tmp_path: Path
) -> AsyncIterator[Services]:
    opened = await open_services(
        load_settings(data_dir=tmp_path, database_url=database_url), components
    )
    try:
        yield opened
    finally:
        await opened.close()
