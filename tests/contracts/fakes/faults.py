"""Failures a test can order from a local vendor server: an error status, or a hang.

`FaultMiddleware` wraps any ASGI app (a fake vendor, or the proxy in front of the real Request
Tracker). The test thread queues faults; the server thread takes them, one per request.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ErrorBody = Callable[[int], object]


@dataclass
class Fault:
    status: int | None = None  # answer this status instead of handling the request
    headers: dict[str, str] = field(default_factory=dict)
    hang_seconds: float = 0.0  # hold the response this long
    after_handling: bool = False  # hang after the request was handled (the response is lost)
    method: str | None = None  # only for a request with this method


class Faults:
    def __init__(self) -> None:
        self._queue: list[Fault] = []
        self._lock = threading.Lock()

    def fail_next(self, status: int, *, retry_after: str | None = None) -> None:
        headers = {"retry-after": retry_after} if retry_after is not None else {}
        self._push(Fault(status=status, headers=headers))

    def hang_next(
        self, seconds: float, *, after_handling: bool = False, method: str | None = None
    ) -> None:
        self._push(Fault(hang_seconds=seconds, after_handling=after_handling, method=method))

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    def _push(self, fault: Fault) -> None:
        with self._lock:
            self._queue.append(fault)

    def take(self, method: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.method in (None, method):
                    return self._queue.pop(index)
            return None


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults, error_body: ErrorBody) -> None:
        self.app = app
        self.faults = faults
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self.faults.take(scope["method"]) if scope["type"] == "http" else None
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.status is not None:
            await self._error(fault, send)
        elif fault.after_handling:
            await self._handle_then_hang(fault, scope, receive, send)
        else:
            await asyncio.sleep(fault.hang_seconds)
            await self.app(scope, receive, send)

    async def _error(self, fault: Fault, send: Send) -> None:
        assert fault.status is not None
        body = json.dumps(self.error_body(fault.status)).encode()
        headers = [(b"content-type", b"application/json")]
        headers += [(k.encode(), v.encode()) for k, v in fault.headers.items()]
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _handle_then_hang(
        self, fault: Fault, scope: Scope, receive: Receive, send: Send
    ) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        await asyncio.sleep(fault.hang_seconds)
        for message in held:
            await send(message)
