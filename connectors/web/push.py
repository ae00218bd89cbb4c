"""The `web` ChatChannel: messages pushed to a user reach their open widget.

Each user has a short log of pushed messages in memory; the widget's event stream reads it
from a cursor, so a widget that reconnects (page load, network blip) gets what it missed.
Pushed messages are also in the conversation's transcript (the notifier and the console store
them), so a widget that was closed finds them when it fetches the transcript back: a push to
a user whose widget is closed is delivered, not refused.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import deque
from dataclasses import dataclass

from bot.domain import Reply

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
    missed: bool  # the cursor was older than what is kept, or from another process


class EventLog:
    """Per-user logs with cursors `EPOCH.N`: a cursor from before a restart is recognised."""

    def __init__(self, *, keep: int = 200) -> None:
        self.epoch = uuid.uuid4().hex[:8]
        self._keep = keep
        self._numbers = itertools.count(1)
        self._logs: dict[str, deque[tuple[int, Pushed]]] = {}
        self._changed: dict[str, asyncio.Event] = {}
        self._listeners: dict[str, int] = {}
        self._dropped: dict[str, int] = {}  # the newest event no longer kept, per user

    def _cursor(self, number: int) -> str:
        return f"{self.epoch}.{number}"

    def cursor(self, user: str) -> str:
        """The cursor of the latest event: read from here to get only what comes next."""
        log = self._logs.get(user)
        return self._cursor(log[-1][0] if log else 0)

    def append(self, user: str, conversation_id: str | None, replies: list[Reply]) -> Pushed:
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

    def listening(self, user: str) -> bool:
        return self._listeners.get(user, 0) > 0

    def _after(self, user: str, cursor: str | None) -> Batch:
        log = self._logs.get(user, deque())
        epoch, _, number = (cursor or "").partition(".")
        if epoch != self.epoch or not number.isdigit():
            # Unknown or another process's cursor: everything kept is new to this reader.
            events = [event for _, event in log]
            return Batch(events, self.cursor(user), missed=cursor is not None)
        after = int(number)
        events = [event for n, event in log if n > after]
        missed = self._dropped.get(user, 0) > after
        return Batch(events, events[-1].cursor if events else self._cursor(after), missed)

    async def read(self, user: str, cursor: str | None, *, wait_seconds: float) -> Batch:
        """Events after `cursor`, waiting up to `wait_seconds` for one to come."""
        batch = self._after(user, cursor)
        if batch.events or batch.missed:
            return batch
        changed = self._changed.setdefault(user, asyncio.Event())
        self._listeners[user] = self._listeners.get(user, 0) + 1
        try:
            await asyncio.wait_for(changed.wait(), wait_seconds)
        except TimeoutError:
            return batch
        finally:
            self._listeners[user] -= 1
            if not self._listeners[user]:
                del self._listeners[user]
        return self._after(user, batch.cursor)


class WebChannel:
    """Pushes go to the user's event log; their open widgets stream it."""

    name = CHANNEL

    def __init__(self, events: EventLog) -> None:
        self.events = events

    async def push(
        self, *, user_id: str, conversation_id: str | None, replies: list[Reply]
    ) -> None:
        self.events.append(user_id.lower(), conversation_id, replies)
