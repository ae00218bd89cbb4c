"""Run an ASGI app with uvicorn on 127.0.0.1 (a free port) in a thread, for the tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Protocol, TypeVar

import uvicorn
from starlette.types import ASGIApp


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalServer:
    def __init__(self, app: ASGIApp) -> None:
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            ws="none",
            timeout_graceful_shutdown=1,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> LocalServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"local server on {self.url} did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


class Fake(Protocol):
    """A vendor's local stand-in: its ASGI app, and the URL it is served at once started."""

    url: str

    def app(self) -> ASGIApp: ...


FakeT = TypeVar("FakeT", bound=Fake)


def serve_fake(fake: FakeT) -> Iterator[FakeT]:
    """For a fixture: `yield from serve_fake(Fake())` serves it until the fixture ends."""
    server = LocalServer(fake.app()).start()
    fake.url = server.url
    try:
        yield fake
    finally:
        server.stop()
