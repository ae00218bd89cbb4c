"""The console's tests: the real app, started with its lifespan, over the test's services."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from bot.app.web import create_app
from bot.services import Services


@pytest.fixture
async def app(services: Services) -> AsyncIterator[FastAPI]:
    app = create_app(services.settings, services)
    async with app.router.lifespan_context(app):
        yield app
