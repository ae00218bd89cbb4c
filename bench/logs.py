"""What the request id and the access line cost a request, alone: `RequestLog` around an ASGI
app that answers at once, against the bare app, its line written to /dev/null through the
formatters of `guichet serve`; and, for comparison, the access line of uvicorn it replaces
(its formatter, the raw path with its query string redacted).

Run with `.venv/bin/python -m bench.logs [--requests 50000]`. CPU time of this process, the
best of three rounds, in microseconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.logging import AccessFormatter

from bot.observability.access import RequestLog
from bot.observability.log_format import JsonLines, TextLines
from bot.privacy.log_filter import install_log_redaction
from bot.privacy.redact import Redactor

HEADERS = [(b"host", b"guichet"), (b"user-agent", b"httpx"), (b"authorization", b"Bearer x")]
UVICORN_LINE = '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'
PATHS = ("/api/v1/suggest?q=vpn&lang=en", "/api/v1/suggest?q=comment+ajouter+l%27imprimante")


async def _answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


async def _send(message: Message) -> None:
    return None


def _scope() -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": "/api/v1/suggest",
        "root_path": "",
        "headers": HEADERS,
        "client": ("127.0.0.1", 5000),
    }


async def _per_request(app: ASGIApp, requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        await app(_scope(), _receive, _send)
    return (time.process_time() - started) / requests * 1e6


def _uvicorn_line(path: str) -> Callable[[], Awaitable[None]]:
    logger = logging.getLogger("uvicorn.access")

    async def write() -> None:
        logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)

    return write


async def _per_line(write: Callable[[], Awaitable[None]], requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        await write()
    return (time.process_time() - started) / requests * 1e6


async def bench(requests: int, sink: TextIO) -> list[tuple[str, float]]:
    install_log_redaction(Redactor())
    handler = logging.StreamHandler(sink)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    results: list[tuple[str, float]] = []
    cases: list[tuple[str, ASGIApp, str, logging.Formatter]] = [
        ("the app alone", _answer, "WARNING", JsonLines()),
        (
            "RequestLog, GUICHET_LOG_LEVEL=WARNING (no line)",
            RequestLog(_answer, access=True),
            "WARNING",
            JsonLines(),
        ),
        ("RequestLog, INFO, JSON line", RequestLog(_answer, access=True), "INFO", JsonLines()),
        ("RequestLog, INFO, text line", RequestLog(_answer, access=True), "INFO", TextLines()),
    ]
    for label, app, level, formatter in cases:
        handler.setFormatter(formatter)
        root.setLevel(level)
        await _per_request(app, requests // 10)
        results.append((label, min([await _per_request(app, requests) for _ in range(3)])))
    uvicorn = logging.getLogger("uvicorn.access")
    uvicorn.handlers[:] = [logging.StreamHandler(sink)]
    uvicorn.handlers[0].setFormatter(AccessFormatter(UVICORN_LINE, use_colors=False))
    uvicorn.propagate = False
    uvicorn.setLevel(logging.INFO)
    for path in PATHS:
        write = _uvicorn_line(path)
        await _per_line(write, requests // 10)
        best = min([await _per_line(write, requests) for _ in range(3)])
        results.append((f"uvicorn's access line alone, {path}", best))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=50_000)
    args = parser.parse_args()
    table = Table(title=f"bench.logs: {args.requests} requests, best of 3")
    table.add_column("case")
    table.add_column("µs per request", justify="right")
    with Path(os.devnull).open("w") as sink:
        results = asyncio.run(bench(args.requests, sink))
    for label, micros in results:
        table.add_row(label, f"{micros:.1f}")
    console = Console()
    console.print(table)
    console.print(f"Load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
