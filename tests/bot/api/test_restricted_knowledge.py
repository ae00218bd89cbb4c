"""An article restricted to a group of the directory is offered only to that group's members
(and to agents): in the omnibox, search and on its page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.services import Components, Services
from tests.bot.api.restricted_kb import WORD, open_client, served_kb
from tests.bot.auth.helpers import bearer

pytestmark = pytest.mark.slow


@pytest.fixture
async def served(components: Components, tmp_path: Path) -> AsyncIterator[tuple[Services, FastAPI]]:
    async with served_kb(components, tmp_path) as (services, app, _):
        yield services, app


async def _offered(client: httpx.AsyncClient) -> set[str]:
    suggested = await client.get("/api/v1/suggest", params={"q": WORD, "lang": "en"})
    found = await client.post("/api/v1/search", json={"query": f"{WORD} console", "language": "en"})
    assert suggested.status_code == 200 and found.status_code == 200, found.text
    return {s["id"] for s in suggested.json()["suggestions"]} | {
        r["id"] for r in found.json()["results"]
    }


async def test_a_restricted_article_is_offered_to_its_group_only(
    served: tuple[Services, FastAPI],
) -> None:
    services, app = served
    member = await bearer(services, role="employee", email="sam.taylor@norvane.example")
    outsider = await bearer(services, role="employee", email="john.smith@norvane.example")
    agent = await bearer(services, role="agent", email="agent@norvane.example")
    for headers, sees in [(None, False), (outsider, False), (member, True), (agent, True)]:
        async with open_client(app, headers) as client:
            offered = await _offered(client)
            assert "en-printer-queue" in offered
            assert ("en-console-reboot" in offered) is sees, headers
            page = await client.get("/kb/en/console-reboot")
            assert (f"Hold the {WORD} power key" in page.text) is sees
