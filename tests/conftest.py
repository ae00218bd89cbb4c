"""Shared fixtures: real SQLite and PostgreSQL databases, and the real model, index and NLU.

The index and the intent model are built for real once and cached under `var/test-cache`
(keyed by content hash, like in production), so later runs reuse them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher

from actions import handoff
from bot.app.services import load_components, open_services
from bot.auth import passwords
from bot.kernel.domain import utcnow
from bot.kernel.sla import BusinessCalendar
from bot.services import Components, Services
from bot.settings import Settings, load_settings
from bot.storage.database import Database

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "test-cache"
POSTGRES_ADMIN = os.environ.get(
    "GUICHET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


_POSTGRES_BASE = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
# Databases are dropped one after the other in this thread while the next tests run; the
# session waits for the last drop (pytest_sessionfinish).
_drops = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drop-database")
_pending_drops: list[Future[None]] = []


def _drop_postgres_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_database(template: str | None = None) -> Iterator[str]:
    """A database of its own for one test: empty, or a copy of `template` (PostgreSQL copies
    its files, much faster than running every migration again)."""
    name = f"guichet_test_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield f"{_POSTGRES_BASE}/{name}"
    finally:
        _pending_drops.append(_drops.submit(_drop_postgres_database, name))


def pytest_sessionfinish() -> None:
    for drop in _pending_drops:
        drop.result()
    _drops.shutdown(wait=True)


def _migrate(database_url: str) -> None:
    async def migrate() -> None:
        database = Database(database_url)
        try:
            await database.migrate()
        finally:
            await database.close()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, away from the test session's
        pool.submit(asyncio.run, migrate()).result()


@pytest.fixture(scope="session")
def migrated_postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to the head once per session; each test's database is
    a copy of it. Nobody may connect to it afterwards (a template must have no sessions)."""
    name = f"guichet_template_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        _migrate(f"{_POSTGRES_BASE}/{name}")
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        yield name
    finally:
        _drop_postgres_database(name)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the head once per session; each test's database is a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "guichet.db"
    _migrate(f"sqlite+aiosqlite:///{path}")
    assert not path.with_name(f"{path.name}-wal").exists()  # the whole database in one file
    return path


def copy_cached_index(index_dir: Path) -> None:
    """The shared index of the sample knowledge base (`components` builds it), copied as the
    published version at `index_dir`: a copy of the sample is up to date without embedding it
    all again, and publishing into the copy updates this index, never the shared one."""
    shutil.copytree((CACHE / "index").resolve(), index_dir.with_name(".index-cached"))
    index_dir.symlink_to(".index-cached")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every storage test runs once on SQLite and once on a fresh PostgreSQL database of its
    own, already migrated to the head (a copy of the session's migrated template: migrating
    again finds nothing to do). tests/bot/storage/test_migrations.py migrates empty ones."""
    if request.param == "sqlite":
        path = tmp_path / "guichet.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        yield from _postgres_database(request.getfixturevalue("migrated_postgres_template"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database without any table, SQLite or PostgreSQL, for the migrations' tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"
    else:
        yield from _postgres_database()


# Argon2id at argon2-cffi's defaults (64 MiB, 3 passes, what production uses) costs a tenth to
# half a second per hash and per check on 2 busy cores; the suite hashes and checks hundreds of
# passwords that only need to be argon2id. It hashes at 1 MiB and one pass instead; the
# production parameters are tested on their own (tests/bot/auth/test_store.py), and processes
# the tests start (`guichet serve`, the CLI) keep them.
PRODUCTION_PASSWORD_HASHER = passwords._HASHER


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        yield


@pytest.fixture
def production_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at the production parameters, for a test about what they cost (the time an
    unknown e-mail's sign-in takes is the dummy hash's, written at those parameters)."""
    monkeypatch.setattr(passwords, "_HASHER", PRODUCTION_PASSWORD_HASHER)


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
