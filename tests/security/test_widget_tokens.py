"""Widget tokens an outsider signs themselves, naming someone else."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import httpx
import pytest

from bot.settings import DEFAULT_SECRET, load_settings
from connectors.web.tokens import DEMO_ISSUER, DEMO_KEY_FILE, demo_key, mint_token
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit


async def test_a_token_signed_with_a_key_derived_from_the_default_secret_is_refused(
    anonymous: httpx.AsyncClient,
) -> None:
    """Issue 13, row 16: the demo portal's key was HMAC(default secret), which is public."""
    public = hmac.new(DEFAULT_SECRET.encode(), b"guichet-demo-portal", hashlib.sha256).hexdigest()
    forged = mint_token("ceo@norvane.example", public, issuer=DEMO_ISSUER)
    response = await anonymous.get(
        "/widget/api/session", headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 200
    assert response.json()["user"] is None
    assert "signature" in response.json()["reason"]
    started = await anonymous.post(
        "/widget/api/conversations", json={}, headers={"Authorization": f"Bearer {forged}"}
    )
    assert started.status_code == 401


def test_the_demo_key_is_random_kept_in_the_data_dir_for_its_owner_only(tmp_path: Path) -> None:
    first = demo_key(load_settings(data_dir=tmp_path / "one"))
    again = demo_key(load_settings(data_dir=tmp_path / "one"))
    other = demo_key(load_settings(data_dir=tmp_path / "two"))
    assert first and other and first == again and first != other
    kept = tmp_path / "one" / DEMO_KEY_FILE
    assert kept.read_text().strip() == first
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


async def test_the_demo_portal_still_signs_tokens_the_widget_accepts(
    anonymous: httpx.AsyncClient,
) -> None:
    issued = await anonymous.get("/demo/portal/token")
    assert issued.status_code == 200, issued.text
    token = issued.json()["token"]
    session = await anonymous.get(
        "/widget/api/session", headers={"Authorization": f"Bearer {token}"}
    )
    assert session.json()["user"] == issued.json()["user"]
