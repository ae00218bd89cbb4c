"""`Idempotency-Key` on ticket writes: a retry replays the first answer and writes nothing (no
second ticket, comment, status change or sync job); the key is the caller's own and belongs to
one route and one request; it expires and the retention purge deletes it. On SQLite and
PostgreSQL; two requests with one key at once on PostgreSQL make one ticket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.domain import utcnow
from bot.privacy.retention import purge, run_purges
from bot.services import Components, Services
from bot.settings import Settings, TicketSettings, load_settings
from bot.settings.privacy import PrivacySettings
from bot.storage.conversations import as_utc
from bot.storage.tables import IdempotencyKeyRow, OutboxRow, TicketCommentRow, TicketRow
from tests.bot.api.conftest import ClientFor
from tests.bot.auth.helpers import bearer
from tests.conftest import _postgres_database

pytestmark = pytest.mark.slow

NEW = {
    "requester": "ann@norvane.example",
    "title": "VPN down in Lyon",
    "description": "Nobody on the 3rd floor can connect",
    "category": "network",
    "impact": "team",
    "urgency": "high",
}
KEY = {"Idempotency-Key": "5b0e8c1e-7f3a-4d2b-9c55-create-vpn"}
REPLAYED = "idempotent-replayed"
KEY_HOURS = 2.0


def _settings(tmp_path: Path, database_url: str) -> Settings:
    # One ITSM backend, so that each write queues a sync job; no worker to deliver it.
    return load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        tickets=TicketSettings(
            sync_backends=["servicenow"], run_sync_worker=False, idempotency_key_hours=KEY_HOURS
        ),
        privacy=PrivacySettings(run_purge=False),
    )


@pytest.fixture
async def services(
    components: Components, database_url: str, tmp_path: Path
) -> AsyncIterator[Services]:
    """Overrides the shared fixture (and so the app and clients built on it)."""
    opened = await open_services(_settings(tmp_path, database_url), components)
    try:
        yield opened
    finally:
        await opened.close()


async def _ticket_ids(services: Services) -> list[int]:
    async with services.database.sessions() as session:
        return list((await session.scalars(select(TicketRow.id).order_by(TicketRow.id))).all())


async def _outbox(services: Services, ticket_id: int) -> list[str]:
    """The sync jobs queued for the ticket, oldest first."""
    async with services.database.sessions() as session:
        rows = await session.scalars(
            select(OutboxRow.operation)
            .where(OutboxRow.ticket_id == ticket_id)
            .order_by(OutboxRow.id)
        )
        return list(rows.all())


async def _keys(services: Services) -> list[str]:
    async with services.database.sessions() as session:
        rows = await session.scalars(select(IdempotencyKeyRow.key).order_by(IdempotencyKeyRow.key))
        return list(rows.all())


async def _expire(services: Services, key: str) -> None:
    async with services.database.sessions.begin() as session:
        await session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.key == key)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_a_retry_gets_the_first_answer_and_writes_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    retry = await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    assert retry.status_code == 201
    assert retry.headers[REPLAYED] == "true"
    assert retry.headers["content-type"] == "application/json"
    assert retry.content == first.content
    ticket = first.json()
    assert ticket["reference"].startswith("INC-") and ticket["sync"][0]["state"] == "pending"
    # The same request in another field order and spacing is the same request.
    reordered = '{"urgency":"high", "impact":"team","category":"network",' + (
        '"description":"Nobody on the 3rd floor can connect","title":"VPN down in Lyon",'
        '"requester":"ann@norvane.example"}'
    )
    again = await client.post(
        "/api/v1/tickets",
        content=reordered,
        headers={**KEY, "content-type": "application/json"},
    )
    assert again.headers[REPLAYED] == "true" and again.content == first.content
    assert await _ticket_ids(services) == [ticket["id"]]
    assert await _outbox(services, ticket["id"]) == ["create"]
    history = (await client.get(f"/api/v1/tickets/{ticket['reference']}")).json()["history"]
    assert [event["kind"] for event in history] == ["created"]
    # Without a key, nothing changes: each request creates a ticket.
    assert (await client.post("/api/v1/tickets", json=NEW)).status_code == 201
    assert (await client.post("/api/v1/tickets", json=NEW)).status_code == 201
    assert len(await _ticket_ids(services)) == 3


async def test_the_same_key_with_another_request_is_a_422(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    other = await client.post(
        "/api/v1/tickets", json={**NEW, "title": "VPN down in Paris"}, headers=KEY
    )
    assert other.status_code == 422
    error = other.json()
    assert error["error"] == "IdempotencyKeyReused"
    assert error["fields"] == {"key": KEY["Idempotency-Key"], "route": "POST /api/v1/tickets"}
    assert "already used for a different request" in error["detail"]
    assert await _ticket_ids(services) == [first.json()["id"]]


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ('""', "must not be empty"),
        ("k" * 256, "at most 255 characters, got 256"),
        (b"caf\xc3\xa9", "printable ASCII"),
        ("tab\there", "printable ASCII"),
        ("bell\x07", "printable ASCII"),
    ],
)
async def test_an_unusable_key_is_a_400_naming_the_problem(
    client: httpx.AsyncClient, services: Services, key: str | bytes, problem: str
) -> None:
    refused = await client.post("/api/v1/tickets", json=NEW, headers={"Idempotency-Key": key})
    assert refused.status_code == 400
    error = refused.json()
    assert error["error"] == "IdempotencyKeyInvalid"
    assert error["fields"]["field"] == "Idempotency-Key" and problem in error["fields"]["problem"]
    assert await _ticket_ids(services) == []


async def test_longest_key_and_the_drafts_quoted_form(
    client: httpx.AsyncClient, services: Services
) -> None:
    longest = {"Idempotency-Key": "k" * 255}
    first = await client.post("/api/v1/tickets", json=NEW, headers=longest)
    assert first.status_code == 201
    assert (await client.post("/api/v1/tickets", json=NEW, headers=longest)).headers[REPLAYED]
    # The draft sends a Structured Field string: `"a b"` names the key `a b`.
    bare = await client.post("/api/v1/tickets", json=NEW, headers={"Idempotency-Key": "a b"})
    quoted = await client.post("/api/v1/tickets", json=NEW, headers={"Idempotency-Key": '"a b"'})
    assert bare.status_code == 201 and quoted.headers[REPLAYED] == "true"
    assert quoted.content == bare.content
    assert len(await _ticket_ids(services)) == 2
    assert await _keys(services) == ["a b", "k" * 255]


async def test_a_key_is_the_callers_own(
    client: httpx.AsyncClient, client_for: ClientFor, services: Services
) -> None:
    ann = await client_for("employee", "ann@norvane.example")
    bob = await client_for("employee", "bob@norvane.example")
    anns = await ann.post("/api/v1/tickets", json=NEW, headers=KEY)
    assert anns.status_code == 201
    # Another caller with Ann's key and Ann's very request gets a ticket of its own.
    admins = await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    bobs = await bob.post(
        "/api/v1/tickets", json={**NEW, "requester": "bob@norvane.example"}, headers=KEY
    )
    assert admins.status_code == bobs.status_code == 201
    assert REPLAYED not in admins.headers and REPLAYED not in bobs.headers
    ids = {anns.json()["id"], admins.json()["id"], bobs.json()["id"]}
    assert len(ids) == 3 and set(await _ticket_ids(services)) == ids
    assert bobs.json()["requester"] == "bob@norvane.example"
    retry = await ann.post("/api/v1/tickets", json=NEW, headers=KEY)
    assert retry.headers[REPLAYED] == "true" and retry.json()["id"] == anns.json()["id"]


async def test_comments_and_transitions_are_replayed_not_repeated(
    client: httpx.AsyncClient, services: Services
) -> None:
    # The key of the ticket's creation is free on other routes: a key belongs to one route.
    ticket = (await client.post("/api/v1/tickets", json=NEW, headers=KEY)).json()
    reference = ticket["reference"]
    comment = {"body": "Could you try another cable?", "author": "agent:zoe", "from_agent": True}
    url = f"/api/v1/tickets/{reference}/comments"
    first = await client.post(url, json=comment, headers=KEY)
    assert first.status_code == 201 and REPLAYED not in first.headers
    retry = await client.post(url.lower(), json=comment, headers=KEY)  # references ignore case
    assert retry.status_code == 201 and retry.headers[REPLAYED] == "true"
    assert retry.content == first.content
    assert [c["body"] for c in first.json()["comments"]] == [comment["body"]]

    url = f"/api/v1/tickets/{reference}/transitions"
    moved = await client.post(url, json={"to": "in_progress"}, headers=KEY)
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    again = await client.post(url, json={"to": "in_progress"}, headers=KEY)
    assert again.status_code == 200 and again.headers[REPLAYED] == "true"  # not a 409
    assert again.content == moved.content
    assert (await client.post(url, json={"to": "in_progress"})).status_code == 409

    detail = (await client.get(f"/api/v1/tickets/{reference}")).json()
    assert [c["body"] for c in detail["comments"]] == [comment["body"]]
    assert [e["kind"] for e in detail["history"]] == ["created", "comment", "status"]
    assert await _outbox(services, ticket["id"]) == ["create", "comment", "status"]

    # The key of that comment, on another ticket's comments: another request, refused.
    other = (await client.post("/api/v1/tickets", json=NEW)).json()["reference"]
    reused = await client.post(f"/api/v1/tickets/{other}/comments", json=comment, headers=KEY)
    assert reused.status_code == 422 and reused.json()["error"] == "IdempotencyKeyReused"
    async with services.database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(TicketCommentRow)) == 1


async def test_an_expired_key_writes_again_and_the_purge_deletes_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    first = await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    async with services.database.sessions() as session:
        row = await session.scalar(select(IdempotencyKeyRow))
        assert row is not None and row.ticket_id == first.json()["id"]
        assert as_utc(row.expires_at) - as_utc(row.created_at) == timedelta(hours=KEY_HOURS)
    await _expire(services, KEY["Idempotency-Key"])
    after = await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    assert after.status_code == 201 and REPLAYED not in after.headers
    assert after.json()["id"] != first.json()["id"]
    assert (await client.post("/api/v1/tickets", json=NEW, headers=KEY)).json()[
        "id"
    ] == after.json()["id"]

    kept = {"Idempotency-Key": "still-fresh"}
    fresh = await client.post("/api/v1/tickets", json=NEW, headers=kept)
    await _expire(services, KEY["Idempotency-Key"])
    report = await purge(services.database, utcnow() - timedelta(days=365))
    assert report.idempotency_keys == 1
    assert await _keys(services) == ["still-fresh"]
    replay = await client.post("/api/v1/tickets", json=NEW, headers=kept)
    assert replay.headers[REPLAYED] == "true" and replay.content == fresh.content


async def test_the_services_purge_deletes_expired_keys_even_keeping_transcripts_forever(
    client: httpx.AsyncClient, services: Services
) -> None:
    await client.post("/api/v1/tickets", json=NEW, headers=KEY)
    await _expire(services, KEY["Idempotency-Key"])
    stop = asyncio.Event()
    forever = PrivacySettings(retention_days=0)
    purging = asyncio.create_task(run_purges(services.database, forever, stop))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # it purges at start: bounded, not timed
        if not await _keys(services):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await purging
    assert await _keys(services) == []
    assert len(await _ticket_ids(services)) == 1


# -- two requests with one key at the same moment, on PostgreSQL ------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


async def both_waiting(url: str, tasks: list[asyncio.Task[httpx.Response]]) -> None:
    """Until both requests wait on a lock in PostgreSQL (bounded, not timed)."""
    deadline = time.monotonic() + 60
    async with await psycopg.AsyncConnection.connect(_libpq(url), autocommit=True) as watcher:
        while time.monotonic() < deadline:
            if finished := [task for task in tasks if task.done()]:
                pytest.fail(f"a request ended before the other waited: {finished[0].result()}")
            cursor = await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND query NOT ILIKE 'LOCK TABLE%'"
            )
            row = await cursor.fetchone()
            if row is not None and row[0] >= 2:
                return
            await asyncio.sleep(0.02)
    pytest.fail("the two requests never waited on PostgreSQL together")


@pytest.mark.integration
async def test_two_requests_with_one_key_at_once_make_one_ticket(
    components: Components, postgres_url: str, tmp_path: Path
) -> None:
    """Two app instances, each with its own connection pool, as two processes would be. The
    ticket table is locked while both requests arrive, so that both have looked the key up and
    found nothing before either commits: the race, every time."""
    settings = _settings(tmp_path, postgres_url)
    async with AsyncExitStack() as stack:
        apps: list[FastAPI] = []
        for _ in range(2):
            services = await open_services(settings, components)
            stack.push_async_callback(services.close)
            apps.append(create_app(settings, services))
            await stack.enter_async_context(apps[-1].router.lifespan_context(apps[-1]))
        headers = {**await bearer(services), **KEY}
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://guichet.test",
                    headers=headers,
                )
            )
            for app in apps
        ]
        async with await psycopg.AsyncConnection.connect(_libpq(postgres_url)) as blocker:
            await blocker.execute("LOCK TABLE tickets IN SHARE ROW EXCLUSIVE MODE")
            tasks = [
                asyncio.create_task(client.post("/api/v1/tickets", json=NEW)) for client in clients
            ]
            await both_waiting(postgres_url, tasks)
            await blocker.commit()
        responses = await asyncio.gather(*tasks)

    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].content == responses[1].content
    assert sorted(r.headers.get(REPLAYED, "") for r in responses) == ["", "true"]
    ticket_id = responses[0].json()["id"]
    async with await psycopg.AsyncConnection.connect(_libpq(postgres_url)) as check:
        tickets = await (await check.execute("SELECT id FROM tickets")).fetchall()
        jobs = await (await check.execute("SELECT ticket_id, operation FROM outbox")).fetchall()
        keys = await (await check.execute("SELECT ticket_id FROM idempotency_keys")).fetchall()
    assert tickets == [(ticket_id,)]
    assert jobs == [(ticket_id, "create")]
    assert keys == [(ticket_id,)]
