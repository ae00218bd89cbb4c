"""An article restricted to a group of the directory is offered only to that group's members
(and to agents): in the omnibox, search and on its page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import load_settings
from knowledge_index.service import open_knowledge_base
from tests.bot.auth.helpers import bearer

pytestmark = pytest.mark.slow
WORD = "quillbrake"  # in no other article
RESTRICTED = f"""---
title: Rebooting the {WORD} console
lang: en
type: procedure
category: network
groups: [service-desk]
---
# Rebooting the {WORD} console

Hold the {WORD} power key ten seconds, then wait for the green light.
"""
OPEN = f"""---
title: The {WORD} printer queue
lang: en
type: faq
category: printing
---
# The {WORD} printer queue

Print jobs to the {WORD} queue go to the second floor.
"""


@pytest.fixture
async def served(components: Components, tmp_path: Path) -> AsyncIterator[tuple[Services, FastAPI]]:
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    (kb / "articles" / "console-reboot.md").write_text(RESTRICTED, "utf-8")
    (kb / "articles" / "printer-queue.md").write_text(OPEN, "utf-8")
    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        knowledge={"kb_dir": kb},
    )
    knowledge = open_knowledge_base(kb, settings.index_dir, components.embedder)
    mine = Components(components.embedder, knowledge, components.parser, components.languages)
    services = await open_services(settings, mine)
    app = create_app(settings, services)
    try:
        async with app.router.lifespan_context(app):
            yield services, app
    finally:
        await services.close()


async def _client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://guichet.test", headers=headers)


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
        async with await _client(app, headers) as client:
            offered = await _offered(client)
            assert "en-printer-queue" in offered
            assert ("en-console-reboot" in offered) is sees, headers
            page = await client.get("/kb/en/console-reboot")
            assert (f"Hold the {WORD} power key" in page.text) is sees
