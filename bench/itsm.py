"""ITSM backends benchmark: latency of each `TicketBackend` call against the real Request Tracker
(Debian's, SQLite) and against the local vendor servers the contract tests use.

Run with `.venv/bin/python -m bench.itsm` (Request Tracker installed with
`scripts/request-tracker.sh install`; the benchmark starts and stops it). Prints a table.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import cast

from rich.console import Console
from rich.table import Table

from bot.kernel.itsm import TicketBackend, TicketPayload
from tests.contracts.fakes.server import free_port
from tests.contracts.harness import Harness
from tests.contracts.harness_request_tracker import request_tracker_harness
from tests.contracts.harness_vendors import (
    glpi_harness,
    jira_service_management_harness,
    servicenow_harness,
    zammad_harness,
)
from tests.request_tracker import SCRIPT, RunningRequestTracker

ROUNDS = 30
Timings = dict[str, list[float]]


def payload() -> TicketPayload:
    return TicketPayload(
        reference=f"BENCH-{uuid.uuid4().hex[:10].upper()}",
        kind="incident",
        requester="marie.dupont@norvane.example",
        title="Le VPN se coupe",
        description="Depuis ce matin, le VPN se coupe toutes les cinq minutes.",
        category="network",
        impact="person",
        urgency="high",
        priority="P4",
    )


async def timed(timings: Timings, name: str, call: Callable[[], Awaitable[object]]) -> object:
    started = time.perf_counter()
    result = await call()
    timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    return result


async def measure(backend: TicketBackend) -> Timings:
    timings: Timings = {}
    since = datetime.now(UTC) - timedelta(seconds=5)
    for _ in range(ROUNDS):
        sent = payload()
        upstream_id = str(await timed(timings, "create", partial(backend.create, sent)))
        await timed(timings, "create again", partial(backend.create, sent))
        await timed(timings, "get", partial(backend.get, upstream_id))
        await timed(timings, "status", partial(backend.update_status, upstream_id, "resolved"))
        await timed(timings, "comment", partial(backend.comment, upstream_id, "Merci !"))
    await timed(timings, "changes", partial(backend.changes_since, since))
    return timings


def start_request_tracker(run_dir: Path) -> RunningRequestTracker:
    port = free_port()
    env = {**os.environ, "GUICHET_RT_RUN_DIR": str(run_dir)}
    subprocess.run([str(SCRIPT), "start", str(port)], env=env, check=True, timeout=120)
    return RunningRequestTracker(f"http://127.0.0.1:{port}", run_dir)


RT_URLS: dict[int, str] = {}


def rt_url(harness: Harness) -> str:
    return RT_URLS[id(harness)]


def harnesses(stack: ExitStack) -> Iterator[Harness]:
    run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    rt = start_request_tracker(run_dir)
    stack.callback(rt.stop)
    makers: list[Callable[[], Iterator[Harness]]] = [
        partial(request_tracker_harness, rt),
        servicenow_harness,
        jira_service_management_harness,
        glpi_harness,
        zammad_harness,
    ]
    for make in makers:
        generator = cast(Generator[Harness, None, None], make())
        stack.callback(generator.close)
        harness = next(generator)
        RT_URLS[id(harness)] = rt.url
        yield harness


async def main() -> None:
    table = Table(
        title=f"TicketBackend calls, ms, p50 / p95 over {ROUNDS} tickets "
        f"(changes: one changes_since over the {ROUNDS})"
    )
    table.add_column("backend")
    rows: list[tuple[str, Timings]] = []
    with ExitStack() as stack:
        for harness in harnesses(stack):
            # Request Tracker directly (not through the tests' fault proxy); vendors: local fakes.
            url = harness.url if harness.name != "request_tracker" else rt_url(harness)
            backend = harness.backend(timeout=30, url=url)
            try:
                rows.append((harness.name, await measure(backend)))
            finally:
                await backend.aclose()
    for call in rows[0][1]:
        table.add_column(call, justify="right")
    for name, timings in rows:
        cells = []
        for values in (sorted(v) for v in timings.values()):
            p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
            cells.append(f"{statistics.median(values):.0f} / {p95:.0f}")
        table.add_row(name, *cells)
    Console(width=140).print(table)


if __name__ == "__main__":
    asyncio.run(main())
