"""Verified tokens are remembered, and forgotten as soon as they are revoked or their user
changes: in the process that did it, and in another process through Redis."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bot.app.services import open_services
from bot.app.web import create_app
from bot.auth.roles import Principal
from bot.auth.store import AuthStore, digest
from bot.auth.token_cache import TokenCache, follow
from bot.events import MemoryBus
from bot.kernel.domain import utcnow
from bot.kernel.errors import NotAuthenticated
from bot.services import Components, Services
from bot.settings import load_settings
from bot.storage.database import Database
from bot.storage.tables import ApiTokenRow
from tests.faults.servers import PrivateRedis, private_redis

GUICHET = [sys.executable, "-m", "bot.app.cli"]
# Long enough that only a revocation heard on the bus can explain a refusal.
HOUR = 3600.0


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


async def _listening(cache: TokenCache) -> None:
    for _ in range(500):
        if cache.listening:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the cache never heard the bus")


async def _revoke_behind_guichets_back(database: Database, secret: str) -> None:
    async with database.sessions.begin() as session:
        await session.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.token_hash == digest(secret))
            .values(revoked_at=utcnow())
        )


async def test_a_remembered_token_is_refused_at_once_when_revoked_or_its_user_disabled(
    database: Database,
) -> None:
    bus = MemoryBus()
    store = AuthStore(database, token_cache_seconds=HOUR, events=bus)
    stop = asyncio.Event()
    following = asyncio.create_task(follow(store.token_cache, bus, stop))
    try:
        await _listening(store.token_cache)
        info, secret = await store.create_token("ops@norvane.example", role="agent")
        first = await store.principal_for_token(secret)
        assert len(store.token_cache) == 1
        # Remembered: a revocation Guichet was not told of is not seen (until the time limit).
        await _revoke_behind_guichets_back(database, secret)
        assert await store.principal_for_token(secret) == first

        _, kept = await store.create_token("ops@norvane.example", role="employee")
        await store.principal_for_token(kept)
        await store.revoke_token(str(info.id))
        with pytest.raises(NotAuthenticated, match="revoked"):
            await store.principal_for_token(secret)
        assert (await store.principal_for_token(kept)).role == "employee"  # only that token

        _, ann = await store.create_token("ann@norvane.example", role="employee")
        await store.principal_for_token(ann)
        await store.update_user("ann@norvane.example", active=False)
        with pytest.raises(NotAuthenticated, match="user disabled"):
            await store.principal_for_token(ann)
    finally:
        stop.set()
        await following


async def test_nothing_is_remembered_while_the_bus_is_not_heard(database: Database) -> None:
    store = AuthStore(database, token_cache_seconds=HOUR, events=MemoryBus())
    _, secret = await store.create_token("ops@norvane.example", role="agent")
    await store.principal_for_token(secret)
    assert len(store.token_cache) == 0
    await _revoke_behind_guichets_back(database, secret)
    with pytest.raises(NotAuthenticated, match="revoked"):
        await store.principal_for_token(secret)


def test_a_check_begun_before_a_revocation_is_not_remembered() -> None:
    cache = TokenCache(HOUR)
    cache.listening = True
    principal = Principal(
        user_id=1, email="a@norvane.example", display_name="a", role="agent", via="token",
        token_id=7,
    )  # fmt: skip
    began = cache.generation
    cache.apply({"type": "token_revoked", "token_id": 7})  # while the database was asked
    cache.put("digest", principal, None, generation=began)
    assert cache.get("digest", utcnow()) is None
    cache.put("digest", principal, None, generation=cache.generation)
    assert cache.get("digest", utcnow()) == principal


# -- two processes: `guichet token revoke` and `guichet user update` heard through Redis --------


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    yield from private_redis()


def _cli(args: list[str], database: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GUICHET, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "GUICHET_DATABASE_URL": database, "GUICHET_REDIS_URL": redis_url},
        timeout=120,
        check=False,
    )


async def _refused_soon(api: httpx.AsyncClient, headers: dict[str, str]) -> int:
    """The status once the revocation has been heard (delivery is asynchronous)."""
    status = 0
    for _ in range(200):
        status = (await api.get("/api/v1/escalations", headers=headers)).status_code
        if status == 401:
            break
        await asyncio.sleep(0.05)
    return status


@asynccontextmanager
async def remembering_process(
    components: Components, redis_url: str, tmp_path: Path
) -> AsyncIterator[tuple[Services, httpx.AsyncClient, str]]:
    """A serving process on SQLite that remembers tokens for an hour and hears revocations on
    Redis: its services, a client of its app, and the database URL a CLI process shares."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"
    settings = load_settings(
        data_dir=tmp_path,
        database_url=database,
        redis_url=redis_url,
        auth={"token_cache_seconds": HOUR},
    )
    services = await open_services(settings, components)
    app = create_app(settings, services)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as api,
        ):
            await _listening(services.auth.token_cache)
            yield services, api, database
    finally:
        await services.close()


@pytest.mark.integration
@pytest.mark.slow
async def test_the_cli_revokes_a_token_remembered_by_a_serving_process(
    components: Components, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    async with remembering_process(components, redis_server.url, tmp_path) as (
        services,
        api,
        database,
    ):
        _, secret = await services.auth.create_token("ops@norvane.example", role="agent")
        _, other = await services.auth.create_token("ann@norvane.example", role="agent")
        headers = {"Authorization": f"Bearer {secret}"}
        others = {"Authorization": f"Bearer {other}"}
        for sent in (headers, others):
            assert (await api.get("/api/v1/escalations", headers=sent)).status_code == 200
        await _revoke_behind_guichets_back(services.database, other)
        assert (await api.get("/api/v1/escalations", headers=others)).status_code == 200

        revoked = await asyncio.to_thread(
            _cli, ["token", "revoke", secret], database, redis_server.url
        )
        assert revoked.returncode == 0, revoked.stderr
        assert await _refused_soon(api, headers) == 401

        disabled = await asyncio.to_thread(
            _cli, ["user", "update", "ann@norvane.example", "--disable"], database, redis_server.url
        )
        assert disabled.returncode == 0, disabled.stderr
        assert await _refused_soon(api, others) == 401
