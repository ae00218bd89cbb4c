from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.app.web import create_app
from bot.services import Services
from bot.settings import Settings
from bot.settings.channels import ChannelSettings
from bot.settings.teams import TeamsSettings
from tests.connectors.slack.fake_slack import SIGNING_SECRET, TOKEN, FakeSlack
from tests.connectors.teams.fake_microsoft import APP_ID, APP_PASSWORD, FakeConnector, TokenIssuer
from tests.contracts.fakes.server import serve_fake


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The channel tests run on SQLite; the stores they use are tested on both databases."""
    return f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    yield from serve_fake(TokenIssuer())


@pytest.fixture
def connector(issuer: TokenIssuer) -> Iterator[FakeConnector]:
    yield from serve_fake(FakeConnector(issuer))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from serve_fake(FakeSlack())


def teams_settings(issuer: TokenIssuer, **changes: object) -> TeamsSettings:
    return TeamsSettings(
        app_id=APP_ID,
        app_password=SecretStr(APP_PASSWORD),
        issuers=[issuer.url],
        jwks_url=f"{issuer.url}/keys",
        token_url=f"{issuer.url}/token",
        restrict_service_urls=False,  # the local connector speaks plain HTTP
    ).model_copy(update=changes)


async def _serve(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
        ) as client,
    ):
        yield client


@pytest.fixture
async def guichet(services: Services, issuer: TokenIssuer) -> AsyncIterator[httpx.AsyncClient]:
    settings = services.settings.model_copy(
        update={
            "teams": teams_settings(issuer),
            "channels": ChannelSettings(notify_interval_seconds=0.2),  # retries come quickly
        }
    )
    async for client in _serve(settings, services):
        yield client


@pytest.fixture
async def guichet_everywhere(
    services: Services, issuer: TokenIssuer, slack: FakeSlack
) -> AsyncIterator[httpx.AsyncClient]:
    """Slack and Teams on the same app."""
    settings = services.settings.model_copy(
        update={
            "teams": teams_settings(issuer),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": f"{slack.url}/api/",
        }
    )
    async for client in _serve(settings, services):
        yield client


@pytest.fixture
async def guichet_restricted(
    services: Services, issuer: TokenIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    """Teams with the production check of service URLs (HTTPS, Microsoft's hosts)."""
    settings = services.settings.model_copy(
        update={"teams": teams_settings(issuer, restrict_service_urls=True)}
    )
    async for client in _serve(settings, services):
        yield client
