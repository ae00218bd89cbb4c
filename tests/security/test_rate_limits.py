"""Using up someone else's rate budget without their credentials."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from bot.services import Services
from bot.settings.limits import LimitSettings
from connectors.web.tokens import DEMO_ISSUER, demo_key, mint_token
from tests.bot.auth.helpers import bearer
from tests.security.conftest import client_of, serve
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit
OWNER = "ann@norvane.example"
# per user only: every test client shares one address
LIMITS = LimitSettings(messages_per_user="5/minute", messages_per_ip="")


@pytest.fixture
async def limited(services: Services) -> AsyncIterator[FastAPI]:
    async for app in serve(services.settings.model_copy(update={"limits": LIMITS}), services):
        yield app


async def test_anonymous_posts_to_a_conversation_do_not_spend_its_owners_budget(
    limited: FastAPI, services: Services
) -> None:
    """Issue 13, row 14: 30 anonymous posts (all 401) and the owner got a 429."""
    async with client_of(limited, await bearer(services, role="employee", email=OWNER)) as ann:
        started = (await ann.post("/api/v1/conversations", json={"user": OWNER})).json()
        url = f"/api/v1/conversations/{started['id']}/messages"
        async with client_of(limited) as stranger:
            codes = [(await stranger.post(url, json={"text": "hi"})).status_code for _ in range(8)]
            forged = [
                (
                    await stranger.post(
                        url, json={"text": "hi"}, headers={"Authorization": "Bearer forged"}
                    )
                ).status_code
                for _ in range(8)
            ]
        assert set(codes) == {401} and set(forged) == {401}
        answered = await ann.post(url, json={"text": "hello"})
        assert answered.status_code == 200, answered.text


async def test_the_widget_owner_keeps_a_budget_of_their_own(
    limited: FastAPI, services: Services
) -> None:
    """The same through the widget: anonymous posts count against the address; the portal
    token's user still has their own per-user limit."""
    key = demo_key(services.settings)
    assert key is not None
    token = mint_token(OWNER, key, issuer=DEMO_ISSUER)
    async with client_of(limited, {"Authorization": f"Bearer {token}"}) as ann:
        started = (await ann.post("/widget/api/conversations", json={})).json()
        url = f"/widget/api/conversations/{started['id']}/messages"
        async with client_of(limited) as stranger:
            codes = [(await stranger.post(url, json={"text": "hi"})).status_code for _ in range(8)]
        assert set(codes) == {401}
        mine = [(await ann.post(url, json={"text": "hello"})).status_code for _ in range(6)]
    assert mine == [200] * 5 + [429]
