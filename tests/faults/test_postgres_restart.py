"""PostgreSQL restarted while employees chat and tickets are created: a request either succeeds
or fails visibly (503 naming the database), nothing accepted is lost, no conversation gets
another's messages, and the service answers again once the database is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import TicketSettings, load_settings
from bot.settings.limits import LimitSettings
from tests.faults.conftest import auth_headers
from tests.faults.servers import PrivatePostgres

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CONVERSATIONS = 6
TICKET_WRITERS = 2


@dataclass
class Outcome:
    statuses: list[int] = field(default_factory=list)
    refused: list[dict[str, object]] = field(default_factory=list)
    accepted: dict[str, list[str]] = field(default_factory=dict)  # conversation → texts
    tickets: list[str] = field(default_factory=list)
    tickets_refused: int = 0

    def record(self, answer: httpx.Response) -> bool:
        self.statuses.append(answer.status_code)
        if answer.status_code == 503:
            self.refused.append(answer.json() | {"retry-after": answer.headers.get("retry-after")})
        return answer.status_code in (200, 201)


@pytest.fixture
async def served(
    components: Components, postgres_cluster: PrivatePostgres, tmp_path: Path
) -> AsyncIterator[tuple[Services, httpx.AsyncClient]]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=postgres_cluster.url,
        tickets=TicketSettings(run_sync_worker=False),
        limits=LimitSettings(enabled=False),  # a few clients send a lot here
    )
    services = await open_services(settings, components)
    app = create_app(settings, services)
    headers = await auth_headers(services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet",
            headers=headers,
            timeout=60,
        ) as client,
    ):
        yield services, client
    await services.close()


async def _chat(client: httpx.AsyncClient, outcome: Outcome, stop: asyncio.Event) -> None:
    while True:  # a conversation, once the database lets it start
        answer = await client.post("/api/v1/conversations", json={"user": "ana@norvane.example"})
        if outcome.record(answer):
            break
        await asyncio.sleep(0.05)
    conversation = answer.json()["id"]
    outcome.accepted[conversation] = []
    number = 0
    while not stop.is_set():
        text = f"hello, conversation {conversation[:8]} message {number}"
        answer = await client.post(
            f"/api/v1/conversations/{conversation}/messages", json={"text": text}
        )
        if outcome.record(answer):
            assert answer.json()["replies"], "an accepted message got no reply"
            outcome.accepted[conversation].append(text)
        number += 1
        await asyncio.sleep(0.02)


async def _tickets(client: httpx.AsyncClient, outcome: Outcome, stop: asyncio.Event) -> None:
    while not stop.is_set():
        answer = await client.post(
            "/api/v1/tickets",
            json={"requester": "ana@norvane.example", "title": "Screen flickers",
                  "description": "The screen flickers", "category": "hardware"},
        )  # fmt: skip
        if outcome.record(answer):
            outcome.tickets.append(answer.json()["reference"])
        else:
            outcome.tickets_refused += 1
        await asyncio.sleep(0.02)


async def test_postgres_restart_under_load(
    served: tuple[Services, httpx.AsyncClient], postgres_cluster: PrivatePostgres
) -> None:
    services, client = served
    outcome, stop = Outcome(), asyncio.Event()
    load = [asyncio.create_task(_chat(client, outcome, stop)) for _ in range(CONVERSATIONS)]
    load += [asyncio.create_task(_tickets(client, outcome, stop)) for _ in range(TICKET_WRITERS)]
    await asyncio.sleep(2.0)
    await asyncio.to_thread(postgres_cluster.stop)
    await asyncio.sleep(1.5)  # down for a while: requests arrive meanwhile
    await asyncio.to_thread(postgres_cluster.start)
    restarted = time.monotonic()
    await asyncio.sleep(3.0)
    stop.set()
    await asyncio.gather(*load)

    assert set(outcome.statuses) <= {200, 201, 503}, sorted(set(outcome.statuses))
    assert outcome.refused, "no request arrived while the database was down"
    for refusal in outcome.refused:
        assert refusal["error"] == "DatabaseUnavailable"
        assert "database is not ready" in str(refusal["detail"])
        assert refusal["retry-after"] == "1"
    # Back: the last requests of every writer succeeded.
    assert time.monotonic() - restarted > 2
    for conversation, texts in outcome.accepted.items():
        answer = await client.get(f"/api/v1/conversations/{conversation}")
        assert answer.status_code == 200
        said = [turn["text"] for turn in answer.json()["transcript"] if turn["role"] == "user"]
        # Every accepted message is there, in order; nothing of another conversation.
        assert [text for text in said if text in texts] == texts
        assert all(conversation[:8] in text for text in said)
        answer = await client.post(
            f"/api/v1/conversations/{conversation}/messages", json={"text": "thanks"}
        )
        assert answer.status_code == 200
    for reference in outcome.tickets:
        assert (await client.get(f"/api/v1/tickets/{reference}")).status_code == 200
    found = await services.tickets.store.find(requester="ana@norvane.example", limit=100_000)
    stored = {t.reference for t in found}
    # Every ticket answered 201 is stored. One refused may be stored too: created, then the
    # answer failed after the commit (a retry would file it twice without an Idempotency-Key;
    # docs/operations.md).
    assert set(outcome.tickets) <= stored
    assert len(stored) - len(outcome.tickets) <= outcome.tickets_refused
