"""`POST /api/messages`: tokens an outsider forges for the Microsoft Teams webhook."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import jwt
import pytest

from tests.connectors.teams.fake_microsoft import APP_ID, TokenIssuer, personal_message
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit


def _segment(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _claims(issuer: TokenIssuer) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": issuer.url, "aud": APP_ID, "nbf": now - 5, "exp": now + 600}


def _without_kid(issuer: TokenIssuer) -> str:
    return jwt.encode(_claims(issuer), issuer.key, algorithm="RS256")


def _header(issuer: TokenIssuer, header: dict[str, Any]) -> str:
    """A token with `header` as its (unsigned, unverifiable) header."""
    return f"{_segment(header)}.{_segment(_claims(issuer))}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(_without_kid, id="no kid"),
        pytest.param(lambda i: _header(i, {"alg": "RS256", "kid": 12}), id="kid a number"),
        pytest.param(lambda i: _header(i, {"alg": "RS256", "kid": ["a"]}), id="kid a list"),
        pytest.param(lambda i: _header(i, {"alg": "none", "kid": i.kid}), id="alg none"),
        pytest.param(lambda i: _header(i, {"alg": "HS256", "kid": i.kid}), id="alg HS256"),
        pytest.param(lambda i: "a.b.c", id="garbage segments"),
        pytest.param(lambda i: "...", id="empty segments"),
    ],
)
async def test_a_forged_token_is_a_401_naming_the_reason(
    teams_guichet: httpx.AsyncClient, issuer: TokenIssuer, forge: Any
) -> None:
    """Issue 13, row 10: a bearer JWT without `kid` made the SDK raise a KeyError (a 500)."""
    activity = personal_message("http://127.0.0.1:9", "29:1ann", text="hello")
    response = await teams_guichet.post(
        "/api/messages", json=activity, headers={"Authorization": f"Bearer {forge(issuer)}"}
    )
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "NotAuthenticated"
    assert "Bot Framework token" in body["detail"]
