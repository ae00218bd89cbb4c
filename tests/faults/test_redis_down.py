"""Redis stopped under a running service: it keeps answering (conversation locks move to
PostgreSQL), says it is degraded in /readyz, and goes back to Redis once Redis is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import TicketSettings, load_settings
from tests.conftest import _postgres_database
from tests.faults.conftest import auth_headers
from tests.faults.servers import PrivateRedis

pytestmark = [pytest.mark.integration]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
async def served(
    components: Components, postgres_url: str, redis_server: PrivateRedis, tmp_path: Path
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=postgres_url,
        redis_url=redis_server.url,
        tickets=TicketSettings(run_sync_worker=False),
    )
    services = await open_services(settings, components)
    app = create_app(settings, services)
    headers = await auth_headers(services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet", headers=headers
        ) as client,
    ):
        yield services, client
    await services.close()


async def _ready(client: httpx.AsyncClient) -> tuple[int, dict[str, object]]:
    answer = await client.get("/readyz")
    return answer.status_code, answer.json()


async def _three_at_once(client: httpx.AsyncClient, conversation: str, tag: str) -> None:
    """Three messages sent together are all answered, one after the other."""
    texts = [f"hello {tag} {n}" for n in range(3)]
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/conversations/{conversation}/messages", json={"text": text})
            for text in texts
        )
    )
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    transcript = (await client.get(f"/api/v1/conversations/{conversation}")).json()["transcript"]
    roles = [turn["role"] for turn in transcript if tag in turn["text"] or turn["role"] == "bot"]
    # No message was handled while another was: each is followed by its replies.
    assert "user" not in roles[-1:] and "user,user" not in ",".join(roles)
    said = [turn["text"] for turn in transcript if turn["role"] == "user"]
    assert sorted(said[-3:]) == texts


async def test_service_degrades_without_redis_and_recovers(
    served: tuple[Services, httpx.AsyncClient], redis_server: PrivateRedis
) -> None:
    services, client = served
    status, body = await _ready(client)
    assert (status, body["status"], body["checks"]["redis"]) == (200, "ready", "ok")  # type: ignore[index]
    conversation = (
        await client.post("/api/v1/conversations", json={"user": "leo@norvane.example"})
    ).json()["id"]
    await _three_at_once(client, conversation, "before")

    await asyncio.to_thread(redis_server.stop)
    status, body = await _ready(client)
    assert (status, body["status"]) == (200, "degraded")
    redis = str(body["checks"]["redis"])  # type: ignore[index]
    assert redis.startswith("unavailable") and "PostgreSQL advisory locks" in redis
    await _three_at_once(client, conversation, "without")
    assert services.scale.locks.describe().endswith("while Redis is unavailable")

    await asyncio.to_thread(redis_server.start)
    deadline = time.monotonic() + 15
    while (await _ready(client))[1]["status"] != "ready":
        assert time.monotonic() < deadline, "not ready again after Redis came back"
        await asyncio.sleep(0.2)
    await _three_at_once(client, conversation, "after")
    assert services.scale.locks.describe() == "Redis"
