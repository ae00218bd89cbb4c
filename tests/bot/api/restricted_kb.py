"""A knowledge base of two articles sharing a rare word, one restricted to a group of the
directory, served by the whole app: what the restricted-knowledge and suggestion-cache tests
read."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import load_settings
from knowledge_index.service import open_knowledge_base

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


@contextlib.asynccontextmanager
async def served_kb(
    components: Components, tmp_path: Path
) -> AsyncIterator[tuple[Services, FastAPI, Path]]:
    """The app over the two articles (SQLite), started; yields its services, app and KB folder."""
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
            yield services, app, kb
    finally:
        await services.close()


def open_client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://guichet.test", headers=headers)
