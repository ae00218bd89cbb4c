"""The widget's fixtures: the app with a portal key and allowed origins, on SQLite, over HTTP
(httpx on the ASGI app) or served for real by uvicorn for the browser and the event stream."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.async_api import Browser, Page
from pydantic import SecretStr

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import Settings, load_settings
from bot.settings.web import WebSettings
from connectors.web.tokens import mint_token
from tests.browser import chromium, csp_violations, served

PORTAL_KEY = "portal-test-key-" + "0123456789abcdef" * 3
ISSUER = "https://intranet.norvane.example"
ALLOWED_ORIGIN = "https://intranet.norvane.example"
MARIE = "marie.dupont@norvane.example"
PAUL = "paul.martin@norvane.example"

Mint = Callable[..., str]


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def web_settings(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Settings:
    public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
        web=WebSettings(
            portal_key=SecretStr(PORTAL_KEY),
            portal_public_key=public.decode(),
            token_issuer=ISSUER,
            allowed_origins=[ALLOWED_ORIGIN],
            keepalive_seconds=0.5,
        ),
    )


@pytest.fixture
async def web_services(components: Components, web_settings: Settings) -> AsyncIterator[Services]:
    opened = await open_services(web_settings, components)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def mint(rsa_key: rsa.RSAPrivateKey) -> Mint:
    """A token as the portal signs it; keyword arguments change one thing to make it wrong."""

    def make(
        email: str = MARIE,
        *,
        key: str | None = None,
        audience: str = "guichet",
        issuer: str | None = ISSUER,
        lifetime: timedelta = timedelta(minutes=10),
        algorithm: str = "HS256",
    ) -> str:
        if algorithm == "RS256" and key is None:
            key = rsa_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode()
        return mint_token(
            email,
            key or PORTAL_KEY,
            audience=audience,
            issuer=issuer,
            lifetime=lifetime,
            algorithm=algorithm,
        )

    return make


@pytest.fixture
async def web_client(web_services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(web_services.settings, web_services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
        ) as client,
    ):
        yield client


@pytest.fixture
async def live_server(web_services: Services) -> AsyncIterator[str]:
    """The real app served by uvicorn on a free port, in the tests' event loop."""
    async with served(create_app(web_services.settings, web_services)) as url:
        yield url


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def page(browser: Browser, live_server: str) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=live_server, viewport={"width": 1100, "height": 820}, locale="en-GB"
    )
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    violations = csp_violations(opened)  # the demo page's policy; the widget lives in it
    try:
        yield opened
    finally:
        await context.close()
    assert errors == [], errors
    assert violations == [], violations
