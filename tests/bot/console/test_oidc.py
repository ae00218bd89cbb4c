"""Single sign-on against a local OpenID Connect provider over real HTTP (discovery, token
endpoint, JWKS, an RS256 ID token): the console is reached without a password, a new person
gets the default role, and a forged state is refused."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI, Form
from joserfc import jwt
from joserfc.jwk import RSAKey

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import AuthSettings, OidcSettings, load_settings
from tests.bot.console.test_browser import served

pytestmark = pytest.mark.slow
CLIENT_ID = "guichet-console"


class Provider:
    """Just enough of an OpenID provider for the authorization code flow."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})
        self.base = ""
        self.nonce = ""
        self.person: dict[str, Any] = {}
        self.app = FastAPI()

        @self.app.get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": self.base,
                "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token",
                "jwks_uri": f"{self.base}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }

        @self.app.get("/jwks")
        async def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}

        @self.app.post("/token")
        async def token(code: str = Form(), client_id: str | None = Form(None)) -> dict[str, Any]:
            assert code == "the-code"
            now = int(time.time())
            claims = {
                "iss": self.base,
                "aud": CLIENT_ID,
                "sub": "u-123",
                "iat": now,
                "exp": now + 300,
                "nonce": self.nonce,
                **self.person,
            }
            id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
            return {
                "access_token": "at",
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            }


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    provider = Provider()
    async with served(provider.app) as base:
        provider.base = base
        yield provider


async def test_sign_in_through_the_identity_provider(
    provider: Provider, components: Components, tmp_path: Path
) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        auth=AuthSettings(
            oidc=OidcSettings(issuer=provider.base, client_id=CLIENT_ID, client_secret="s3cret")
        ),
    )
    services = await open_services(settings, components)
    await services.auth.create_user("zoe@norvane.example", role="agent")  # no password
    app = create_app(settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet.test",
            headers={"Accept": "text/html"},
        ) as browser,
    ):
        try:
            await _flow(provider, browser, services)
        finally:
            await services.close()


async def _flow(provider: Provider, browser: httpx.AsyncClient, services: Services) -> None:
    assert "/console/oidc/login" in (await browser.get("/console/login")).text
    for person, expected in [
        ({"email": "zoe@norvane.example", "email_verified": True, "name": "Zoé"}, 200),
        ({"email": "new@norvane.example", "email_verified": True, "name": "New"}, 403),
    ]:
        browser.cookies.clear()
        start = await browser.get("/console/oidc/login")
        assert start.status_code == 302
        target = urlsplit(start.headers["location"])
        query = parse_qs(target.query)
        assert f"{target.scheme}://{target.netloc}{target.path}" == f"{provider.base}/authorize"
        assert query["client_id"] == [CLIENT_ID] and "openid" in query["scope"][0]
        provider.nonce, provider.person = query["nonce"][0], person
        back = await browser.get(
            "/console/oidc/callback", params={"code": "the-code", "state": query["state"][0]}
        )
        assert back.status_code == 303, back.text
        assert (await browser.get("/console")).status_code == expected
    newcomer = await services.auth.user("new@norvane.example")
    assert newcomer is not None and newcomer.role == "employee"

    browser.cookies.clear()
    await browser.get("/console/oidc/login")
    forged = await browser.get(
        "/console/oidc/callback", params={"code": "the-code", "state": "forged"}
    )
    assert forged.status_code == 303  # a browser is sent back to the sign-in page
    assert forged.headers["location"].startswith("/console/login")
    assert "guichet_session" not in browser.cookies

    # From a ticket link: the sign-in page passes the return URL on, and the callback goes back.
    form = await browser.get("/console/login?next=/tickets/INC-000001")
    assert "/console/oidc/login?next=/tickets/INC-000001" in form.text
    start = await browser.get("/console/oidc/login", params={"next": "/tickets/INC-000001"})
    query = parse_qs(urlsplit(start.headers["location"]).query)
    provider.nonce = query["nonce"][0]
    provider.person = {"email": "new@norvane.example", "email_verified": True}
    back = await browser.get(
        "/console/oidc/callback", params={"code": "the-code", "state": query["state"][0]}
    )
    assert back.status_code == 303 and back.headers["location"] == "/tickets/INC-000001"
    browser.cookies.clear()
    start = await browser.get("/console/oidc/login", params={"next": "//evil.example/"})
    query = parse_qs(urlsplit(start.headers["location"]).query)
    provider.nonce = query["nonce"][0]
    back = await browser.get(
        "/console/oidc/callback", params={"code": "the-code", "state": query["state"][0]}
    )
    assert back.headers["location"] == "/console"  # never to another site


async def test_not_mounted_without_an_issuer(services: Any) -> None:
    app = create_app(services.settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (await client.get("/console/oidc/login")).status_code == 404
        assert "/console/oidc/login" not in (await client.get("/console/login")).text
