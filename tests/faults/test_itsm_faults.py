"""The ITSM tool answering 500, 429 or hanging: the sync worker retries and each ticket
arrives exactly once, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app.services import open_services, sync_worker
from bot.services import Components
from bot.settings import TicketSettings, load_settings
from tests.faults.servers import CountingServiceNow
from tests.faults.tickets import assert_each_upstream_once, create_tickets

TICKETS = 6


def _order(servicenow: CountingServiceNow, fault: str) -> None:
    faults = servicenow.faults
    if fault == "500":
        for _ in range(3):
            faults.fail_next(500)
    elif fault == "429":
        faults.fail_next(429, retry_after="1")
        faults.fail_next(429, retry_after="1")
    elif fault == "hang":  # past the 1 s timeout, before the tool does anything
        faults.hang_next(3.0, method="POST")
    else:  # the tool creates the incident, but its answer never comes back in time
        faults.hang_next(3.0, after_handling=True, method="POST")


@pytest.mark.parametrize("fault", ["500", "429", "hang", "lost-answer"])
async def test_a_failing_itsm_tool_gets_each_ticket_once(
    fault: str,
    components: Components,
    database_url: str,
    tmp_path: Path,
    servicenow: CountingServiceNow,
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        tickets=TicketSettings(
            sync_backends=["servicenow"], max_backoff_seconds=0.5, run_sync_worker=False
        ),
        itsm=servicenow.itsm(timeout_seconds=1.0),
    )
    services = await open_services(settings, components)
    worker = sync_worker(services)
    assert worker is not None
    try:
        tickets = await create_tickets(services, TICKETS)
        _order(servicenow, fault)
        for _ in range(60):
            await worker.deliver_once()
            if not await services.tickets.store.outbox.pending_count("servicenow"):
                break
            await asyncio.sleep(0.25)
        assert servicenow.faults.pending() == 0  # every ordered failure happened
        await assert_each_upstream_once(services, servicenow, tickets)
        async with services.database.engine.connect() as connection:
            retried = await connection.scalar(text("SELECT max(attempts) FROM outbox"))
        assert retried is not None and retried >= 2
    finally:
        await worker.aclose()
        await services.close()
