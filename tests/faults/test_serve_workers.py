"""`guichet serve --workers 2` on PostgreSQL and Redis: a new index published with `guichet
index update` is served by both processes within moments, and no request fails meanwhile."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.services import Components
from bot.settings import SAMPLE_KB_DIR
from tests.conftest import CACHE, _postgres_database
from tests.contracts.fakes.server import free_port
from tests.faults.processes import environment, start, wait_ready
from tests.faults.servers import PrivateRedis

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def _small_kb(root: Path) -> Path:
    kb = root / "kb"
    for language in ("en", "fr"):
        (kb / "articles" / language).mkdir(parents=True)
        for slug in ("vpn-connect", "printer-add", "reset-password"):
            shutil.copy(
                SAMPLE_KB_DIR / "articles" / language / f"{slug}.md", kb / "articles" / language
            )
    shutil.copy(SAMPLE_KB_DIR / "actions.yaml", kb / "actions.yaml")
    return kb


async def test_workers_switch_to_a_published_index_without_a_failed_request(
    components: Components, postgres_url: str, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    kb, data = _small_kb(tmp_path), tmp_path / "data"
    shutil.copytree(CACHE / "models", data / "models")  # the intent model, already trained
    port = free_port()
    env = environment(
        postgres_url,
        GUICHET_DATA_DIR=str(data),
        GUICHET_KNOWLEDGE__KB_DIR=str(kb),
        GUICHET_KNOWLEDGE__BUILD_ON_START="true",
        GUICHET_REDIS_URL=redis_server.url,
        GUICHET_TICKETS__RUN_SYNC_WORKER="false",
        GUICHET_SCALE__INDEX_POLL_SECONDS="3600",  # only the Redis notice can switch them
    )
    url = f"http://127.0.0.1:{port}"
    server = start(["serve", "--port", str(port), "--workers", "2"], env, tmp_path / "serve.log")
    try:
        await asyncio.to_thread(wait_ready, url, server, 300)
        statuses: list[int] = []
        versions: list[str] = []
        stop = asyncio.Event()

        async def use(client: httpx.AsyncClient) -> None:
            while not stop.is_set():
                try:
                    answer = await client.get(
                        "/api/v1/suggest", params={"q": "toner", "lang": "en"}
                    )
                    ready = (await client.get("/readyz")).json()
                except httpx.HTTPError as error:  # counted: no request may fail
                    statuses.append(0)
                    versions.append(type(error).__name__)
                    continue
                statuses.append(answer.status_code)
                versions.append(str(ready["checks"]["index"]).rsplit("version ", 1)[-1].rstrip(")"))
                await asyncio.sleep(0.02)

        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            using = asyncio.create_task(use(client))
            await asyncio.sleep(1.0)
            before = versions[-1]
            (kb / "articles" / "en" / "toner.txt").write_text("Order toner\n\nToner for copiers.")
            update = start(["index", "update"], env, tmp_path / "update.log")
            await asyncio.to_thread(update.popen.wait, 300)
            assert update.popen.returncode == 0, update.log.read_text()[-2000:]
            published = (data / "index").resolve().name
            assert published != before
            deadline = time.monotonic() + 15
            while versions[-20:] != [published] * 20:
                assert time.monotonic() < deadline, versions[-20:]
                await asyncio.sleep(0.1)
            stop.set()
            await using
            found = await client.get("/api/v1/suggest", params={"q": "toner", "lang": "en"})
        assert set(statuses) == {200}
        assert any("toner" in s["title"].lower() for s in found.json()["suggestions"])
    finally:
        server.stop()
