"""Tickets benchmark: tickets created per second through the HTTP API (outbox included) on
SQLite and PostgreSQL, and the sync delay to a real Request Tracker when it is installed.

Run with `.venv/bin/python -m bench.tickets`. Prints a table.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from bot.app.services import load_components, open_services, sync_worker
from bot.app.web import create_app
from bot.kernel.ticket_models import NewTicket
from bot.services import Components
from bot.settings import TicketSettings, load_settings
from bot.settings.itsm import ItsmSettings, RequestTrackerSettings
from bot.settings.limits import LimitSettings
from tests.contracts.fakes.server import free_port
from tests.request_tracker import PASSWORD, SCRIPT

RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
TICKETS = 300
CONCURRENCY = 10
SYNCED = 30
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BODY = {
    "requester": "bench@norvane.example",
    "title": "Printer jammed",
    "description": "The printer on floor 2 is jammed",
    "category": "hardware",
    "impact": "team",
    "urgency": "high",
}


async def _create_rate(components: Components, url: str, scratch: Path) -> float:
    settings = load_settings(
        data_dir=scratch,
        database_url=url,
        tickets=TicketSettings(sync_backends=["request_tracker"], run_sync_worker=False),
        # one bench token creates tickets as fast as it can: throughput, not the rate limits
        limits=LimitSettings(enabled=False),
    )
    services = await open_services(settings, components)
    app = create_app(settings, services)
    _, token = await services.auth.create_token("bench@norvane.example", role="agent")
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(TICKETS):
        queue.put_nowait(number)

    async def typist(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            queue.get_nowait()
            answer = await client.post("/api/v1/tickets", json=BODY)
            answer.raise_for_status()

    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://bench",
                headers={"Authorization": f"Bearer {token}"},
            ) as client,
        ):
            start = time.perf_counter()
            await asyncio.gather(*(typist(client) for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - start
        assert await services.tickets.store.outbox.pending_count("request_tracker") == TICKETS
    finally:
        await services.close()
    return TICKETS / elapsed


async def _sync_delay(components: Components, scratch: Path) -> list[float] | None:
    if not RT_SERVER.exists():  # noqa: ASYNC240 - one check before the benchmark starts
        return None
    port = free_port()
    env_dir = scratch / "rt"
    env = {"GUICHET_RT_RUN_DIR": str(env_dir)}
    started = await asyncio.create_subprocess_exec(
        str(SCRIPT), "start", str(port), env={**os.environ, **env}
    )
    if await started.wait() != 0:
        return None
    settings = load_settings(
        data_dir=scratch,
        database_url=f"sqlite+aiosqlite:///{scratch / 'sync.db'}",
        tickets=TicketSettings(sync_backends=["request_tracker"]),
        itsm=ItsmSettings(
            request_tracker=RequestTrackerSettings(
                base_url=f"http://127.0.0.1:{port}", password=SecretStr(PASSWORD)
            )
        ),
    )
    services = await open_services(settings, components)
    worker = sync_worker(services)
    assert worker is not None
    delays: list[float] = []
    try:
        async with services.database.engine.begin() as connection:  # fresh references
            base = uuid.uuid4().int % 8_000 * 1_000 + 1_000_000
            await connection.exec_driver_sql(
                "INSERT INTO tickets (id, reference, kind, requester, channel, title, "
                "description, category, impact, urgency, priority, status, language, details, "
                "created_at, updated_at) VALUES (?, ?, 'incident', 's', 's', 's', 's', 'other', "
                "'person', 'low', 'P5', 'closed', 'en', '{}', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP)",
                (base, f"SEED-{base}"),
            )
        for _ in range(SYNCED):
            created = time.perf_counter()
            ticket = await services.tickets.create(
                NewTicket(
                    kind="incident",
                    requester="bench@norvane.example",
                    channel="api",
                    conversation_id=None,
                    title="Sync delay",
                    description="Measuring",
                    category="other",
                    impact="person",
                    urgency="low",
                    priority="P5",
                    language="en",
                )
            )
            while (await services.tickets.store.outbox.sync_states(ticket.id))[0].state != "synced":
                await worker.deliver_once()
            delays.append((time.perf_counter() - created) * 1000)
    finally:
        await worker.aclose()
        await services.close()
        stop = await asyncio.create_subprocess_exec(str(SCRIPT), "stop", env={**os.environ, **env})
        await stop.wait()
    return delays


async def main() -> None:
    table = Table("measure", "value", title="Guichet tickets benchmark")
    scratch = Path(tempfile.mkdtemp())
    try:
        components = await load_components(load_settings(data_dir=scratch / "cache"))
        rate = await _create_rate(components, f"sqlite+aiosqlite:///{scratch / 'b.db'}", scratch)
        table.add_row(f"tickets/s via API, SQLite ({CONCURRENCY} clients)", f"{rate:.0f}")
        name = f"guichet_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            rate = await _create_rate(
                components, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", scratch
            )
            table.add_row(f"tickets/s via API, PostgreSQL ({CONCURRENCY} clients)", f"{rate:.0f}")
        finally:
            with psycopg.connect(POSTGRES, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        delays = await _sync_delay(components, scratch)
        if delays is None:
            table.add_row("sync delay to Request Tracker", "RT not installed")
        else:
            ordered = sorted(delays)
            table.add_row(
                "sync delay to Request Tracker p50 (ms)", f"{statistics.median(ordered):.0f}"
            )
            table.add_row(
                "sync delay to Request Tracker p95 (ms)",
                f"{ordered[round(0.95 * (len(ordered) - 1))]:.0f}",
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main())
