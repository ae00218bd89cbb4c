"""Every process serves the index version last published.

The version pointer is the `index` link in GUICHET_DATA_DIR (on storage shared by every
machine), replaced atomically by `guichet index build|update`. Each process checks it every
`index_poll_seconds`; with Redis, the command also publishes the new version's name and every
process loads it at once. A process keeps answering from the version it has until the new one
is loaded, so no request fails during the switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from bot.scale.redis_link import PREFIX, RedisLink
from knowledge_index.service import IndexedKnowledgeBase

log = logging.getLogger("guichet.scale")
CHANNEL = "index-version"


def announce_version(redis_url: str, index_dir: Path) -> str | None:
    """Tell every process a new version is published (from the CLI); None if Redis failed."""
    version = index_dir.resolve().name
    try:
        with Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2) as client:
            client.publish(PREFIX + CHANNEL, version)
    except (RedisError, OSError) as error:
        log.warning("new index version not announced on Redis: %s", error)
        return None
    return version


class IndexWatcher:
    def __init__(
        self,
        knowledge: IndexedKnowledgeBase,
        link: RedisLink | None,
        *,
        poll_seconds: float = 5.0,
    ) -> None:
        self.knowledge = knowledge
        self.link = link
        self.poll_seconds = poll_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the pointer and listen for notices until `stop` is set."""
        tasks = [asyncio.create_task(self._poll(stop))]
        if self.link is not None:
            tasks.append(asyncio.create_task(self._listen(self.link)))
        await stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _poll(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.knowledge.reload_if_changed(force=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)

    async def _listen(self, link: RedisLink) -> None:
        while True:
            try:
                async with link.client.pubsub() as pubsub:
                    await pubsub.subscribe(link.key(CHANNEL))
                    # A version published while this process was not listening.
                    self.knowledge.reload_if_changed(force=True)
                    while True:
                        # A bounded wait: a blocking read would hit the client's socket timeout.
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=1.0
                        )
                        if message is not None:
                            log.info("index version %r published", message["data"])
                            self.knowledge.reload_if_changed(force=True)
            except (RedisError, OSError) as error:
                link.failed(error)
                await asyncio.sleep(link.retry_seconds)
