"""The event log in Redis, for several processes: one stream per user, trimmed to the last
`keep` messages and forgotten a day after the last one. A widget may reconnect to any process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from redis.exceptions import RedisError, ResponseError

from bot.channels.registry import ChannelUnavailable
from bot.kernel.domain import Reply
from bot.scale.redis_link import RedisLink
from connectors.web.push import CHANNEL, Batch, Pushed

KEEP_FOR_SECONDS = 86_400
# Below the link's socket timeout: a blocked read must not look like a dead connection.
BLOCK_SECONDS = 1.0
START = "0-0"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _number(cursor: str) -> tuple[int, int]:
    milliseconds, _, sequence = cursor.partition("-")
    return int(milliseconds), int(sequence or 0)


def _is_cursor(cursor: str | None) -> bool:
    if not cursor:
        return False
    milliseconds, _, sequence = cursor.partition("-")
    return milliseconds.isdigit() and sequence.isdigit()


class RedisEventLog:
    def __init__(self, link: RedisLink, *, keep: int = 200) -> None:
        self.link = link
        self.keep = keep

    def _key(self, user: str) -> str:
        return self.link.key(f"web:events:{user}")

    async def cursor(self, user: str) -> str:
        try:
            last = await self.link.client.xrevrange(self._key(user), count=1)
        except RedisError as error:
            self.link.failed(error)
            return START
        return _text(last[0][0]) if last else START

    async def append(self, user: str, conversation_id: str | None, replies: list[Reply]) -> Pushed:
        data = json.dumps(
            {
                "conversation_id": conversation_id,
                "replies": [reply.model_dump(mode="json") for reply in replies],
            }
        )
        key = self._key(user)
        try:
            async with self.link.client.pipeline(transaction=True) as pipe:
                pipe.xadd(key, {"data": data}, maxlen=self.keep, approximate=False)
                pipe.expire(key, KEEP_FOR_SECONDS)
                added, _ = await pipe.execute()
        except RedisError as error:
            self.link.failed(error)
            raise ChannelUnavailable(channel=CHANNEL, reason=f"Redis: {error}") from error
        self.link.succeeded()
        return Pushed(_text(added), conversation_id, replies)

    async def _missed(self, key: str, cursor: str) -> bool:
        """Whether messages after `cursor` were trimmed away. Trimming does not record what it
        removed, only that the first kept entry moved: a reader just before it may be told to
        resync for nothing, which costs one transcript fetch."""
        try:
            info: dict[Any, Any] = await self.link.client.xinfo_stream(key)
        except ResponseError:  # no such stream: nothing was ever kept, nothing was missed
            return False
        trimmed = int(info.get("entries-added", 0)) > int(info.get("length", 0))
        first = info.get("recorded-first-entry-id") or START
        return trimmed and _number(cursor) < _number(_text(first))

    async def read(self, user: str, cursor: str | None, *, wait_seconds: float) -> Batch:
        key = self._key(user)
        start = str(cursor) if _is_cursor(cursor) else START
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        try:
            if (cursor is not None and start == START and cursor != START) or await self._missed(
                key, start
            ):
                return Batch([], await self.cursor(user), missed=True)
            while True:
                block = min(BLOCK_SECONDS, max(0.0, deadline - loop.time()))
                found: Any = await self.link.client.xread(
                    {key: start}, count=self.keep, block=int(block * 1000) or None
                )
                streams = found.items() if isinstance(found, dict) else found  # RESP3 or RESP2
                events = [self._event(i, fields) for _, entries in streams for i, fields in entries]
                if events:
                    return Batch(events, events[-1].cursor, missed=False)
                if loop.time() >= deadline:
                    return Batch([], start, missed=False)
        except RedisError as error:
            self.link.failed(error)
            await asyncio.sleep(min(wait_seconds, BLOCK_SECONDS))
            return Batch([], start, missed=False)

    @staticmethod
    def _event(entry_id: object, fields: dict[bytes, bytes]) -> Pushed:
        data = json.loads(fields[b"data"])
        return Pushed(
            _text(entry_id),
            data["conversation_id"],
            [Reply.model_validate(reply) for reply in data["replies"]],
        )
