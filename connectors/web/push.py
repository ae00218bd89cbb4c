"""The `web` ChatChannel: messages pushed to a user reach their open widget.

Each user has a short log of pushed messages; the widget's event stream reads it from a
cursor, so a widget that reconnects (page load, network blip) gets what it missed. The log is
in the process's memory, or in Redis (one stream per user) when several processes serve the
widget. Pushed messages are also in the conversation's transcript (the notifier and the
dispatcher store them), so a widget that was closed finds them when it fetches the transcript
back: a push to a user whose widget is closed is delivered, not refused.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from bot.kernel.domain import Reply

CHANNEL = "web"


@dataclass(frozen=True)
class Pushed:
    cursor: str
    conversation_id: str | None
    replies: list[Reply]


@dataclass(frozen=True)
class Batch:
    events: list[Pushed]
    cursor: str
    missed: bool  # the cursor is older than what is kept (or unknown): fetch the transcript


class EventLog(Protocol):
    """Pushed messages per user (their e-mail, lower case), read from opaque cursors.

    `cursor` is where a reader starts to get only what comes next; `read` returns the events
    after a cursor, waiting up to `wait_seconds` for one, and the cursor to read from next;
    `missed` is true (and the events empty) when events after the cursor are no longer kept or
    the cursor is not this log's: the reader fetches the transcript again. `append` raises
    `ChannelUnavailable` when the log cannot take the message now.
    """

    async def cursor(self, user: str) -> str: ...

    async def append(
        self, user: str, conversation_id: str | None, replies: list[Reply]
    ) -> Pushed: ...

    async def read(self, user: str, cursor: str | None, *, wait_seconds: float) -> Batch: ...


class MemoryEventLog:
    """One process: cursors `EPOCH.N`, so a cursor from before a restart is recognised."""

    def __init__(self, *, keep: int = 200) -> None:
        self.epoch = uuid.uuid4().hex[:8]
        self._keep = keep
        self._numbers = itertools.count(1)
        self._logs: dict[str, deque[tuple[int, Pushed]]] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._dropped: dict[str, int] = {}  # the newest event no longer kept, per user

    def _cursor(self, number: int) -> str:
        return f"{self.epoch}.{number}"

    async def cursor(self, user: str) -> str:
        log = self._logs.get(user)
        return self._cursor(log[-1][0] if log else 0)

    async def append(self, user: str, conversation_id: str | None, replies: list[Reply]) -> Pushed:
        number = next(self._numbers)
        event = Pushed(self._cursor(number), conversation_id, replies)
        log = self._logs.setdefault(user, deque(maxlen=self._keep))
        if len(log) == log.maxlen:
            self._dropped[user] = log[0][0]
        log.append((number, event))
        changed = self._changed.pop(user, None)
        if changed is not None:
            changed.set()
        return event

    async def _after(self, user: str, cursor: str | None) -> Batch:
        log = self._logs.get(user, deque())
        epoch, _, number = (cursor or "").partition(".")
        if epoch != self.epoch or not number.isdigit():
            # Another process's cursor (or none): what is kept is new to this reader.
            if cursor is not None:
                return Batch([], await self.cursor(user), missed=True)
            events = [event for _, event in log]
            return Batch(events, await self.cursor(user), missed=False)
        after = int(number)
        events = [event for n, event in log if n > after]
        if self._dropped.get(user, 0) > after:
            return Batch([], await self.cursor(user), missed=True)
        return Batch(events, events[-1].cursor if events else self._cursor(after), missed=False)

    async def read(self, user: str, cursor: str | None, *, wait_seconds: float) -> Batch:
        batch = await self._after(user, cursor)
        if batch.events or batch.missed:
            return batch
        changed = self._changed.setdefault(user, asyncio.Event())
        try:
            await asyncio.wait_for(changed.wait(), wait_seconds)
        except TimeoutError:
            return batch
        return await self._after(user, batch.cursor)


class WebChannel:
    """Pushes go to the user's event log; their open widgets stream it."""

    name = CHANNEL

    def __init__(self, events: EventLog) -> None:
        self.events = events

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        await self.events.append(user_id.strip().lower(), conversation_id, replies)
