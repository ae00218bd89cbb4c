"""Issue 13, row 5: HTML pages had no Content-Security-Policy, no frame rule, no nosniff, no
Referrer-Policy and no `Cache-Control: no-store` on private pages; the console could be framed
(click-jacking). One middleware now sets them; the pages carry no inline script or style."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path

import httpx
import pytest

from bot.app.web import create_app
from bot.services import Services
from bot.settings import PACKAGE_ROOT, Settings
from bot.settings.web import WebSettings

pytestmark = pytest.mark.slow
AGENT = "zoe@norvane.example"
PASSWORD = "correct horse 42"
HTML = {"Accept": "text/html"}
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@asynccontextmanager
async def guichet(settings: Settings, services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", headers=HTML
        ) as client,
    ):
        yield client


async def signed_in(client: httpx.AsyncClient, services: Services) -> None:
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    form = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert token
    answer = await client.post(
        "/console/login",
        data={"email": AGENT, "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 303, answer.text


def assert_everywhere(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def assert_page(response: httpx.Response, *, private: bool) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_everywhere(response)
    assert response.headers["content-security-policy"] == POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert (response.headers.get("cache-control") == "no-store") is private


async def test_framing_or_caching_the_console_and_ticket_pages_is_refused(
    services: Services,
) -> None:
    async with guichet(services.settings, services) as browser:
        assert_page(await browser.get("/console/login"), private=True)
        await signed_in(browser, services)
        for path in ("/console", "/console/kpis", "/console/gaps", "/console/notices", "/tickets"):
            assert_page(await browser.get(path), private=True)


async def test_public_pages_get_the_policy_and_may_be_cached(services: Services) -> None:
    async with guichet(services.settings, services) as visitor:
        assert_page(await visitor.get("/"), private=False)  # the demo intranet page
        assert_page(await visitor.get("/kb/en/vpn-connect"), private=False)


async def test_the_widget_files_keep_working_when_embedded_elsewhere(services: Services) -> None:
    """The widget's script and style are loaded by the intranet's pages: no page policy."""
    async with guichet(services.settings, services) as intranet:
        for path in ("/widget/guichet.js", "/widget/guichet.css", "/console/static/console.js"):
            response = await intranet.get(path)
            assert response.status_code == 200
            assert_everywhere(response)
            assert "content-security-policy" not in response.headers
            assert "x-frame-options" not in response.headers
        api = await intranet.get("/healthz")
        assert_everywhere(api)
        assert "content-security-policy" not in api.headers


async def test_an_allowed_portal_may_frame_the_pages_and_no_one_else(services: Services) -> None:
    settings = services.settings.model_copy(
        update={"web": WebSettings(frame_ancestors="'self'  https://intranet.example.org")}
    )
    async with guichet(settings, services) as browser:
        page = await browser.get("/console/login")
    assert page.headers["content-security-policy"].endswith(
        "frame-ancestors 'self' https://intranet.example.org"
    )
    assert "x-frame-options" not in page.headers


async def test_the_api_docs_cannot_be_framed(services: Services) -> None:
    async with guichet(services.settings, services) as browser:
        docs = await browser.get("/docs")
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert docs.headers["x-frame-options"] == "DENY"


def test_no_page_holds_inline_script_style_or_event_handlers() -> None:
    """What a strict policy would block: the pages must not need it."""
    templates = [
        *Path(str(files("bot.console") / "templates")).glob("*.html"),
        *Path(str(files("bot.tickets") / "templates")).glob("*.html"),
        *(PACKAGE_ROOT / "connectors" / "web").glob("*.py"),
    ]
    inline = re.compile(r"<script>|<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=")
    found = {str(path): inline.findall(path.read_text()) for path in templates}
    assert {path: hits for path, hits in found.items() if hits} == {}
