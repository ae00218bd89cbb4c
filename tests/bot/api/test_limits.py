"""Request limits over HTTP: 413 for large bodies (declared or chunked), 429 with Retry-After
per user and per address, on the real app."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot.api.rate_limit import category_of
from bot.app.web import create_app
from bot.services import Services
from bot.settings.limits import LimitSettings
from tests.bot.auth.helpers import bearer

pytestmark = pytest.mark.unit
LIMITS = LimitSettings(
    max_body_bytes=2048,
    messages_per_user="2/minute",
    messages_per_ip="5/minute",
    suggestions_per_user="",
    suggestions_per_ip="3/minute",
)


@pytest.fixture
async def limited(services: Services) -> AsyncIterator[FastAPI]:
    app = create_app(services.settings.model_copy(update={"limits": LIMITS}), services)
    async with app.router.lifespan_context(app):
        yield app


async def _client(app: FastAPI, services: Services, email: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers=await bearer(services, role="employee", email=email),
    )


async def test_a_declared_body_over_the_limit_is_refused_before_anything_else(
    limited: FastAPI,
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=limited), base_url="http://guichet.test"
    ) as anonymous:
        response = await anonymous.post(
            "/api/v1/conversations", content=b"{" + b" " * 4096 + b"}",
            headers={"content-type": "application/json"},
        )  # fmt: skip
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    assert "2048 bytes" in response.json()["detail"]


async def test_a_chunked_body_is_counted_as_it_arrives(
    limited: FastAPI, services: Services
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"user": "ann@norvane.example", "channel": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    async with await _client(limited, services, "ann@norvane.example") as client:
        response = await client.post(
            "/api/v1/conversations", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json()["error"] == "PayloadTooLarge"
        small = await client.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
        assert small.status_code == 201


async def test_messages_per_user_get_429_with_retry_after(
    limited: FastAPI, services: Services
) -> None:
    async with (
        await _client(limited, services, "ann@norvane.example") as ann,
        await _client(limited, services, "bob@norvane.example") as bob,
    ):
        conversation = (
            await ann.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
        ).json()
        url = f"/api/v1/conversations/{conversation['id']}/messages"
        for _ in range(2):
            assert (await ann.post(url, json={"text": "hello"})).status_code == 200
        refused = await ann.post(url, json={"text": "hello again"})
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        body = refused.json()
        assert body["error"] == "RateLimited"
        assert body["fields"]["scope"] == "user"
        assert body["fields"]["limit"] == "2 per 1 minute"
        mine = (
            await bob.post("/api/v1/conversations", json={"user": "bob@norvane.example"})
        ).json()
        answered = await bob.post(
            f"/api/v1/conversations/{mine['id']}/messages", json={"text": "hello"}
        )
        assert answered.status_code == 200


async def test_suggestions_per_address(limited: FastAPI, services: Services) -> None:
    async with await _client(limited, services, "ann@norvane.example") as ann:
        for _ in range(3):
            assert (await ann.get("/api/v1/suggest", params={"q": "vpn"})).status_code == 200
        refused = await ann.get("/api/v1/suggest", params={"q": "vpn"})
    assert refused.status_code == 429
    assert refused.json()["fields"]["scope"] == "ip"
    assert "retry-after" in refused.headers


async def test_the_rasa_webhook_counts_as_messages_per_address(limited: FastAPI) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=limited), base_url="http://guichet.test"
    ) as anonymous:
        codes = [
            (
                await anonymous.post(
                    "/webhooks/rest/webhook",
                    content=json.dumps({"sender": f"u{i}", "message": "hello"}),
                )
            ).status_code
            for i in range(6)
        ]
    assert codes[-1] == 429
    assert 429 not in codes[:5]


@pytest.mark.parametrize(
    ("method", "path", "category"),
    [
        ("POST", "/api/v1/conversations/{conversation_id}/messages", "messages"),
        ("POST", "/widget/api/conversations/{conversation_id}/messages", "messages"),
        ("POST", "/webhooks/rest/webhook", "messages"),
        ("GET", "/api/v1/suggest", "suggestions"),
        ("POST", "/api/v1/search", "suggestions"),
        ("POST", "/api/v1/tickets", "writes"),
        ("PATCH", "/api/v1/tickets/{reference}", "writes"),
        ("GET", "/api/v1/tickets", None),
        ("GET", "/healthz", None),
    ],
)
def test_categories(method: str, path: str, category: str | None) -> None:
    assert category_of(method, path) == category


async def test_vendor_webhooks_are_not_limited_per_address(services: Services) -> None:
    """Every Rasa server call to the action server comes from the same address."""
    settings = services.settings.model_copy(
        update={"limits": LimitSettings(writes_per_ip="2/minute", messages_per_ip="2/minute")}
    )
    app = create_app(settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
        ) as rasa,
    ):
        codes = [(await rasa.get("/actions")).status_code for _ in range(3)]
        calls = [
            (await rasa.post("/webhook", json={"next_action": "nope"})).status_code
            for _ in range(3)
        ]
        webhook = [
            (
                await rasa.post("/webhooks/rest/webhook", json={"sender": "a", "message": "hi"})
            ).status_code
            for _ in range(3)
        ]
    assert 429 not in codes + calls
    assert webhook[-1] == 429  # a prefix of it, but not the same path: limited


@pytest.mark.integration
async def test_two_processes_share_the_count_through_redis(services: Services) -> None:
    """Two apps on one Redis stand for two API processes behind a load balancer."""
    limits = LIMITS.model_copy(update={"redis_key_prefix": f"guichet-test:{uuid.uuid4().hex}"})
    settings = services.settings.model_copy(
        update={"limits": limits, "redis_url": "redis://127.0.0.1:6379/0"}
    )
    first, second = create_app(settings, services), create_app(settings, services)
    async with (
        first.router.lifespan_context(first),
        second.router.lifespan_context(second),
        await _client(first, services, "ann@norvane.example") as one,
        await _client(second, services, "ann@norvane.example") as other,
    ):
        started = await one.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
        url = f"/api/v1/conversations/{started.json()['id']}/messages"
        assert (await one.post(url, json={"text": "hello"})).status_code == 200
        assert (await other.post(url, json={"text": "hello"})).status_code == 200
        assert (await one.post(url, json={"text": "hello"})).status_code == 429
        assert (await other.post(url, json={"text": "hello"})).status_code == 429
