"""`/metrics` through the real app: names present, values moving after real requests, the
gauges read from the database, and closed to callers without an agent's credentials."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from bot.app.services import sync_worker
from bot.app.web import create_app
from bot.kernel.domain import utcnow
from bot.services import Services
from bot.storage.tables import TicketRow
from tests.bot.auth.helpers import bearer
from tests.bot.observability.conftest import samples, total, value
from tests.faults.servers import CountingServiceNow

NAMES = {
    "guichet_chat_messages_total",
    "guichet_answers_total",
    "guichet_suggestions_total",
    "guichet_handoffs_total",
    "guichet_tickets_created_total",
    "guichet_itsm_sync_errors_total",
    "guichet_itsm_outbox_pending",
    "guichet_itsm_outbox_failed",
    "guichet_itsm_outbox_oldest_pending_age_seconds",
    "guichet_tickets_sla_breached",
    "guichet_knowledge_index_entries",
    "guichet_knowledge_index_info",
}


async def _scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return response.text


async def test_metrics_need_an_agent(
    anonymous: httpx.AsyncClient, services: Services, app: object
) -> None:
    assert (await anonymous.get("/metrics")).status_code == 401
    employee = await bearer(services, role="employee", email="ann@norvane.example")
    assert (await anonymous.get("/metrics", headers=employee)).status_code == 403
    agent = await bearer(services, role="agent", email="tom@norvane.example")
    assert (await anonymous.get("/metrics", headers=agent)).status_code == 200


async def test_metrics_move_with_real_requests(
    synced: Services, servicenow: CountingServiceNow
) -> None:
    app = create_app(synced.settings, synced)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet.test",
            headers=await bearer(synced),
        ) as client,
    ):
        before = samples(await _scrape(client))
        assert (await client.get("/api/v1/suggest", params={"q": "vpn"})).status_code == 200
        started = await client.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
        messages = f"/api/v1/conversations/{started.json()['id']}/messages"
        for text in ("How do I connect to the VPN from home?", "/human_handoff"):
            assert (await client.post(messages, json={"text": text})).status_code == 200
        created = await client.post(
            "/api/v1/tickets",
            json={
                "requester": "ann@norvane.example",
                "title": "Printer jammed",
                "description": "The printer on floor 3 is jammed.",
                "category": "hardware",
                "urgency": "high",
            },
        )
        assert created.status_code == 201, created.text
        priority = created.json()["priority"]
        servicenow.faults.fail_next(500)
        worker = sync_worker(synced)
        assert worker is not None
        try:
            assert await worker.deliver_once() == 0  # the tool answered 500: retried later
        finally:
            await worker.aclose()
        async with synced.database.sessions.begin() as session:  # a ticket already late
            await session.execute(
                update(TicketRow)
                .where(TicketRow.reference == created.json()["reference"])
                .values(first_response_due=utcnow() - timedelta(minutes=5))
            )
        text = await _scrape(client)
    after = samples(text)
    assert {name for name, _ in after} >= NAMES | {
        f"guichet_http_request_duration_seconds_{part}" for part in ("bucket", "count", "sum")
    }

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    duration = "guichet_http_request_duration_seconds_count"
    assert moved(duration, route="/api/v1/suggest", method="GET", status_class="2xx") == 1
    # The template, never the conversation's id.
    messages_route = "/api/v1/conversations/{conversation_id}/messages"
    assert moved(duration, route=messages_route, method="POST", status_class="2xx") == 2
    assert not any("ann@" in route or started.json()["id"] in route for route in _routes(after))
    assert moved("guichet_suggestions_total") == 1
    assert moved("guichet_chat_messages_total", channel="api") == 2
    assert moved("guichet_answers_total", source="chat") == 1
    assert moved("guichet_handoffs_total", reason="user_request") == 1
    assert moved("guichet_tickets_created_total", category="hardware", priority=priority) == 1
    assert moved("guichet_itsm_sync_errors_total", backend="servicenow", operation="create") == 1
    assert value(after, "guichet_itsm_outbox_pending", backend="servicenow") == 1
    assert value(before, "guichet_itsm_outbox_pending", backend="servicenow") == 0
    assert value(after, "guichet_itsm_outbox_oldest_pending_age_seconds", backend="servicenow") > 0
    assert value(after, "guichet_itsm_outbox_failed", backend="servicenow") == 0
    late = value(after, "guichet_tickets_sla_breached", target="first_response", priority=priority)
    assert late == 1
    index = synced.knowledge.index
    assert index is not None
    assert value(after, "guichet_knowledge_index_entries") == index.manifest.entries > 0
    assert "# TYPE guichet_chat_messages_total counter" in text


def _routes(found: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> set[str]:
    return {dict(labels).get("route", "") for _, labels in found}


@pytest.mark.parametrize("path", ["/no/such/page/4711", "/api/v1/tickets/GUI-999999"])
async def test_unknown_paths_do_not_make_new_series(client: httpx.AsyncClient, path: str) -> None:
    await client.get(path)
    routes = _routes(samples(await _scrape(client)))
    assert path not in routes
    assert routes & {"unmatched", "/api/v1/tickets/{reference}"}
