"""A new index version published once is served by every process, without a failed search."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.scale.index_versions import IndexWatcher, announce_version
from bot.scale.redis_link import RedisLink
from bot.services import Components
from knowledge_index.index import SearchQuery
from knowledge_index.service import open_knowledge_base, update_index
from tests.conftest import CACHE
from tests.faults.servers import PrivateRedis, private_redis

pytestmark = [pytest.mark.integration]


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    yield from private_redis()


async def test_every_process_serves_a_published_version_at_once(
    components: Components, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    kb, data = tmp_path / "kb", tmp_path / "data"
    shutil.copytree(CACHE.parent.parent / "knowledge_index" / "sample_kb", kb)
    data.mkdir()
    shutil.copytree((CACHE / "index").resolve(), data / ".index-cached")
    (data / "index").symlink_to(".index-cached")
    # Two processes' knowledge bases, polling too rarely to matter: the notice does it.
    served = [
        open_knowledge_base(kb, data / "index", components.embedder, build=False) for _ in range(2)
    ]
    links = [RedisLink(redis_server.url) for _ in served]
    watchers = [
        IndexWatcher(k, link, poll_seconds=3600) for k, link in zip(served, links, strict=True)
    ]
    stop = asyncio.Event()
    running = [asyncio.create_task(w.run(stop)) for w in watchers]
    failures = 0

    async def search_all_along() -> None:
        nonlocal failures
        while not stop.is_set():
            for knowledge in served:
                hits = await knowledge.search(SearchQuery("vpn disconnects", "en", limit=1))
                failures += not hits
            await asyncio.sleep(0.01)

    searching = asyncio.create_task(search_all_along())
    try:
        await asyncio.sleep(0.5)  # subscribed
        (kb / "articles" / "en" / "toner.txt").write_text("Order toner\n\nToner for copiers.")
        await asyncio.to_thread(update_index, kb, data / "index", components.embedder)
        published = announce_version(redis_server.url, data / "index")
        assert published is not None and published != ".index-cached"
        deadline = time.monotonic() + 20
        while any(k.version != published for k in served):
            assert time.monotonic() < deadline, [k.version for k in served]
            await asyncio.sleep(0.05)
        assert all(k.index is not None and k.index.by_id("en-toner") for k in served)
    finally:
        stop.set()
        await asyncio.gather(searching, *running)
        for link in links:
            await link.aclose()
    assert failures == 0


def test_announcing_without_redis_says_so(tmp_path: Path) -> None:
    (tmp_path / ".index-a").mkdir()
    (tmp_path / "index").symlink_to(".index-a")
    assert announce_version("redis://127.0.0.1:1/0", tmp_path / "index") is None
