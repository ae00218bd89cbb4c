from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.app.web import create_app
from bot.services import Services
from tests.connectors.slack.fake_slack import SIGNING_SECRET, TOKEN, FakeSlack
from tests.contracts.fakes.server import serve_fake


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The channel tests run on SQLite; the stores they use are tested on both databases."""
    return f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from serve_fake(FakeSlack())


@pytest.fixture
async def slack_app(services: Services, slack: FakeSlack) -> AsyncIterator[FastAPI]:
    settings = services.settings.model_copy(
        update={
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": f"{slack.url}/api",  # without the final slash: added
        }
    )
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def guichet(slack_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=slack_app), base_url="http://guichet.test"
    ) as client:
        yield client
