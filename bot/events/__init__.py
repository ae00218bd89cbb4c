"""Live updates between processes: the console hears of new messages and changed escalations."""

from __future__ import annotations

from bot.events.memory import MemoryBus
from bot.events.protocol import Event, EventBus
from bot.events.redis import RedisBus


def open_bus(redis_url: str | None) -> EventBus:
    """Redis pub/sub when several processes serve (GUICHET_REDIS_URL), else in this process."""
    return RedisBus(redis_url) if redis_url else MemoryBus()


__all__ = ["Event", "EventBus", "MemoryBus", "RedisBus", "open_bus"]
