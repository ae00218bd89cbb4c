"""The attacks of the outside probe (issue 13), one module per surface, against the real app,
its channels and their local vendor fakes: the app and its clients come from the API tests
(SQLite and PostgreSQL); a module about input handling alone imports `sqlite_only`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.app.web import create_app
from bot.services import Services
from bot.settings import Settings
from tests.bot.api.conftest import anonymous, app, client, client_for
from tests.bot.auth.helpers import bearer
from tests.connectors.slack.fake_slack import SIGNING_SECRET, TOKEN, FakeSlack
from tests.connectors.teams.conftest import teams_settings
from tests.connectors.teams.fake_microsoft import TokenIssuer
from tests.contracts.fakes.server import free_port, serve_fake

__all__ = ["anonymous", "app", "client", "client_for"]


def client_of(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", headers=headers
    )


async def serve(settings: Settings, services: Services) -> AsyncIterator[FastAPI]:
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def admin(app: FastAPI, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app, await bearer(services)) as client:
        yield client


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from serve_fake(FakeSlack())


def with_slack(services: Services, api_url: str) -> Settings:
    return services.settings.model_copy(
        update={
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": api_url,
        }
    )


@pytest.fixture
async def slack_guichet(services: Services, slack: FakeSlack) -> AsyncIterator[httpx.AsyncClient]:
    """Guichet with Slack mounted, its Web API calls going to the local fake Slack."""
    async for served in serve(with_slack(services, f"{slack.url}/api/"), services):
        async with client_of(served) as client:
            yield client


@asynccontextmanager
async def web_api_hanging() -> AsyncIterator[str]:
    """The URL of a Slack Web API that takes connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # read nothing, answer nothing

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@pytest.fixture(params=["refused", "hanging"])
async def slack_unreachable(
    request: pytest.FixtureRequest, services: Services
) -> AsyncIterator[httpx.AsyncClient]:
    """Guichet with Slack mounted while Slack's Web API cannot be reached: nothing listens
    (the connection is refused), or it takes the connection and never answers."""
    async with AsyncExitStack() as stack:
        if request.param == "hanging":
            api_url = await stack.enter_async_context(web_api_hanging())
        else:
            api_url = f"http://127.0.0.1:{free_port()}/api/"
        async for served in serve(with_slack(services, api_url), services):
            async with client_of(served) as client:
                yield client


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    yield from serve_fake(TokenIssuer())


@pytest.fixture
async def teams_guichet(
    services: Services, issuer: TokenIssuer
) -> AsyncIterator[httpx.AsyncClient]:
    """Guichet with Teams mounted, trusting the local token issuer."""
    settings = services.settings.model_copy(update={"teams": teams_settings(issuer)})
    async for served in serve(settings, services):
        async with client_of(served) as client:
            yield client
