from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.api.app import create_app
from bot.services import Services


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The app over HTTP semantics (httpx on the ASGI app), lifespan included."""
    app = create_app(services.settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
        ) as client,
    ):
        yield client
