"""A `guichet sync` process killed (SIGKILL) in the middle of deliveries: another worker takes
over its leases, and every ticket reaches the ITSM tool exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app.services import open_services
from bot.services import Components
from bot.settings import TicketSettings, load_settings
from tests.conftest import _postgres_database
from tests.faults.processes import environment, start
from tests.faults.servers import CountingServiceNow
from tests.faults.tickets import assert_each_upstream_once, create_tickets, wait_until_synced

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TICKETS = 60
HUNG = 4  # creations the tool performs but whose answers it holds back


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


async def test_killed_worker_leaves_no_ticket_lost_or_twice_upstream(
    components: Components, postgres_url: str, tmp_path: Path, servicenow: CountingServiceNow
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=postgres_url,
        tickets=TicketSettings(sync_backends=["servicenow"], run_sync_worker=False),
        itsm=servicenow.itsm(),
    )
    services = await open_services(settings, components)
    env = environment(
        postgres_url,
        GUICHET_TICKETS__SYNC_LEASE_SECONDS="4",
        GUICHET_TICKETS__SYNC_INTERVAL_SECONDS="0.3",
        GUICHET_TICKETS__MAX_BACKOFF_SECONDS="1",
        **servicenow.env(timeout_seconds=60),
    )
    first = second = None
    try:
        tickets = await create_tickets(services, TICKETS)
        for _ in range(HUNG):
            servicenow.faults.hang_next(120, after_handling=True, method="POST")
        first = start(["sync"], env, tmp_path / "first.log")
        # Killed once the tool holds answers of creations it made: the worker is mid-delivery.
        deadline = time.monotonic() + 120
        while servicenow.faults.pending() or len(servicenow.references()) < HUNG:
            assert first.popen.poll() is None, first.log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the first worker delivered nothing"
            await asyncio.sleep(0.1)
        first.kill()
        assert await services.tickets.store.outbox.pending_count("servicenow") > 0
        second = start(["sync"], env, tmp_path / "second.log")
        await wait_until_synced(services, 120)
        await assert_each_upstream_once(services, servicenow, tickets)
    finally:
        for process in (first, second):
            if process is not None:
                process.stop()
        await services.close()
