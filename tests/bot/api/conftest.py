from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from fastapi import FastAPI

from bot.app.web import create_app
from bot.auth import Role
from bot.services import Services
from tests.bot.auth.helpers import bearer

ClientFor = Callable[..., Awaitable[httpx.AsyncClient]]


@pytest.fixture
async def app(services: Services) -> AsyncIterator[FastAPI]:
    """The app with its lifespan running."""
    app = create_app(services.settings, services)
    async with app.router.lifespan_context(app):
        yield app


def _client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", headers=headers
    )


@pytest.fixture
async def client(app: FastAPI, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP semantics (httpx on the ASGI app), as an admin with a bearer token."""
    async with _client(app, await bearer(services)) as client:
        yield client


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The same app, without credentials."""
    async with _client(app) as client:
        yield client


@pytest.fixture
async def client_for(app: FastAPI, services: Services) -> AsyncIterator[ClientFor]:
    """`await client_for("employee", "ann@norvane.example")`: a client with that user's token."""
    opened: list[httpx.AsyncClient] = []

    async def make(role: Role, email: str) -> httpx.AsyncClient:
        client = _client(app, await bearer(services, role=role, email=email))
        opened.append(client)
        return client

    yield make
    for client in opened:
        await client.aclose()
