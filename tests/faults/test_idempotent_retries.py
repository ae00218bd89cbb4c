"""Two `guichet serve` processes on one PostgreSQL database, the same ticket sent to each with one
`Idempotency-Key` at the same moment (a client retrying on another process after a lost answer):
one ticket, one sync job, and both answers are that ticket's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from bot.auth import AuthStore
from bot.storage.database import Database
from tests.bot.api.test_ticket_idempotency import KEY, NEW, REPLAYED, both_waiting
from tests.conftest import _postgres_database
from tests.contracts.fakes.server import free_port
from tests.faults.processes import Process, environment, start, wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


async def _admin_token(database_url: str) -> str:
    database = Database(database_url)
    try:
        await database.migrate()
        store = AuthStore(database, session_minutes=60)
        _, secret = await store.create_token("retry@norvane.example", role="admin", label="test")
        return secret
    finally:
        await database.close()


async def test_one_key_sent_to_two_processes_at_once_makes_one_ticket(
    postgres_url: str, tmp_path: Path
) -> None:
    token = await _admin_token(postgres_url)
    env = environment(
        postgres_url,
        GUICHET_TICKETS__SYNC_BACKENDS='["servicenow"]',
        GUICHET_TICKETS__RUN_SYNC_WORKER="false",
        GUICHET_PRIVACY__RUN_PURGE="false",
    )
    ports = [free_port(), free_port()]
    processes: list[Process] = []
    try:
        for number, port in enumerate(ports):
            log = tmp_path / f"serve-{number}.log"
            processes.append(start(["serve", "--port", str(port)], env, log))
        for port, process in zip(ports, processes, strict=True):
            await asyncio.to_thread(wait_ready, f"http://127.0.0.1:{port}", process, 300)
        headers = {"authorization": f"Bearer {token}", **KEY}
        libpq = postgres_url.replace("postgresql+psycopg://", "postgresql://")
        async with (
            httpx.AsyncClient(headers=headers, timeout=60) as client,
            await psycopg.AsyncConnection.connect(libpq) as blocker,
        ):
            # Ticket inserts wait while both requests arrive: both find the key unused.
            await blocker.execute("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE")
            tasks = [
                asyncio.create_task(
                    client.post(f"http://127.0.0.1:{port}/api/v1/tickets", json=NEW)
                )
                for port in ports
            ]
            await both_waiting(postgres_url, tasks)
            await blocker.commit()
            answers = await asyncio.gather(*tasks)
            rows = await (await blocker.execute("SELECT id FROM tickets")).fetchall()
            jobs = await (
                await blocker.execute("SELECT ticket_id, operation FROM outbox")
            ).fetchall()
    finally:
        for process in processes:
            process.stop()

    assert [a.status_code for a in answers] == [201, 201], [a.text for a in answers]
    assert answers[0].content == answers[1].content
    assert sorted(a.headers.get(REPLAYED, "") for a in answers) == ["", "true"]
    ticket_id = answers[0].json()["id"]
    assert rows == [(ticket_id,)]
    assert jobs == [(ticket_id, "create")]
