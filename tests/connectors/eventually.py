"""Waiting, in tests, for work a channel finishes after answering."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


TRIES = 200  # every 50 ms: ten seconds


async def eventually(check: Callable[[], Awaitable[T | None]]) -> T:
    """The first non-None result of `check`, tried every 50 ms for ten seconds."""
    for _ in range(TRIES):
        result = await check()
        if result is not None:
            return result
        await asyncio.sleep(0.05)
    raise TimeoutError("still nothing after ten seconds")
