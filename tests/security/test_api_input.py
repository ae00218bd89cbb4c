"""The HTTP API's input handling: links, error bodies, bodies that are not UTF-8, the console
door, as an outsider or an agent with bad intentions sends them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bot.kernel.links import is_safe_link
from bot.kernel.notices import NewNotice
from bot.services import Services
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit

NOTICE: dict[str, Any] = {
    "title_en": "Outlook unavailable in Lyon",
    "title_fr": "Outlook indisponible à Lyon",
    "tags": ["outlook", "mail"],
}
SCRIPTED = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "https:evil.example",
    "http://",
    "file:///etc/passwd",
]


@pytest.mark.parametrize("url", SCRIPTED)
async def test_a_notice_link_that_is_not_http_is_a_422_naming_the_url(
    admin: httpx.AsyncClient, url: str
) -> None:
    """Issue 13, row 12: a notice took `javascript:` and the omnibox gave it to browsers."""
    response = await admin.post("/api/v1/notices", json={**NOTICE, "url": url})
    assert response.status_code == 422, response.text
    body = response.json()
    assert "body.url" in body["fields"], body
    created = await admin.get("/api/v1/notices")
    assert created.json() == []


@pytest.mark.parametrize(
    "url", ["https://status.norvane.example/outlook", "http://intranet/status", "/kb/en/vpn"]
)
async def test_a_notice_link_over_http_or_on_this_site_is_kept(
    admin: httpx.AsyncClient, url: str
) -> None:
    response = await admin.post("/api/v1/notices", json={**NOTICE, "url": url})
    assert response.status_code == 201, response.text
    assert response.json()["url"] == url


async def test_a_notice_changed_to_a_script_link_is_a_422(admin: httpx.AsyncClient) -> None:
    created = (await admin.post("/api/v1/notices", json=NOTICE)).json()
    changed = await admin.put(
        f"/api/v1/notices/{created['id']}", json={**NOTICE, "url": "javascript:alert(1)"}
    )
    assert changed.status_code == 422
    assert "body.url" in changed.json()["fields"]


async def test_a_script_link_stored_before_the_check_is_never_given_out(
    anonymous: httpx.AsyncClient, services: Services
) -> None:
    """Defence in depth: rows stored before links were checked stay in the database."""
    await services.notices.publish(NewNotice.model_construct(
        **{**NewNotice(**NOTICE).model_dump(), "url": "javascript:alert(1)"}
    ))  # fmt: skip
    for path, params in [
        ("/api/v1/suggest", {"q": "outlook lyon", "lang": "en"}),
        ("/widget/api/suggest", {"q": "outlook lyon", "lang": "en"}),
    ]:
        response = await anonymous.get(path, params=params)
        assert response.status_code == 200, response.text
        found = response.json()["suggestions"]
        assert any(s["type"] == "incident_notice" for s in found), found
        assert all(is_safe_link(s["url"]) for s in found if s.get("url")), found
    searched = await anonymous.post("/api/v1/search", json={"query": "outlook", "language": "en"})
    assert all(is_safe_link(r["url"]) for r in searched.json()["results"] if r.get("url"))


async def test_a_422_has_the_documented_error_shape_naming_the_field(
    admin: httpx.AsyncClient,
) -> None:
    """Issue 13: a 422 body was FastAPI's `{"detail": [...]}`; docs/api.md promises every
    error as `{"error", "detail", "fields"}`."""
    response = await admin.post("/api/v1/tickets", json={"title": "x", "impact": "galaxy"})
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"error", "detail", "fields"}
    assert body["error"] == "InvalidInput"
    assert isinstance(body["detail"], str) and "body.impact" in body["detail"]
    assert all(isinstance(v, str) for v in body["fields"].values())
    assert "body.impact" in body["fields"]
    bad_query = await admin.get("/api/v1/suggest", params={"q": "vpn", "limit": "lots"})
    assert bad_query.status_code == 422 and "query.limit" in bad_query.json()["fields"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "\xff\xfe"}',
        b"\xff\x00\xfe(",
        b'{"text": "caf\xe9"}',  # Latin-1, as an old client sends it
        b"\xc3\x28",
    ],
)
async def test_a_body_that_is_not_utf8_is_the_documented_422(
    admin: httpx.AsyncClient, body: bytes
) -> None:
    """Issue 13: some bodies that are not UTF-8 were a 400; docs/security/index.md says 422."""
    conversation = (await admin.post("/api/v1/conversations", json={"user": "x"})).json()
    for path in (f"/api/v1/conversations/{conversation['id']}/messages", "/api/v1/search"):
        response = await admin.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (path, response.text)
        assert response.json()["error"] == "InvalidInput"
        assert "body" in response.json()["fields"]


@pytest.mark.parametrize(
    ("path", "back"),
    [
        ("/console", "/console"),
        ("/console/notices", "/console/notices"),
        ("/console/gaps?days=7&group=g1", "/console/gaps?days=7&group=g1"),
    ],
)
async def test_an_anonymous_browser_on_the_console_goes_to_the_sign_in_page(
    anonymous: httpx.AsyncClient, path: str, back: str
) -> None:
    """Issue 13: anonymous `GET /console` answered a JSON 401 where a browser needs the page."""
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = await anonymous.get(path, headers={"Accept": accept})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/login?next={quote(back)}"
    page = await anonymous.get(response.headers["location"], headers={"Accept": accept})
    assert page.status_code == 200 and "<form" in page.text


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
async def test_an_anonymous_api_client_on_the_console_keeps_the_json_401(
    anonymous: httpx.AsyncClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = await anonymous.get("/console", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "NotAuthenticated"
