"""End to end, over HTTP against the real app: a Confluence page restricted to a directory group
is suggested, after one `guichet index sync confluence`, to that group's members (and agents)
only; lifting the restriction in Confluence offers it to everyone after the next sync."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import SAMPLE_KB_DIR, load_settings
from knowledge_index.service import open_knowledge_base
from tests.bot.auth.helpers import bearer
from tests.cli import invoke
from tests.contracts.fakes import confluence as confluence_fake
from tests.contracts.fakes.server import LocalServer, serve_fake

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MEMBER = "sam.taylor@norvane.example"  # in service-desk in the builtin directory
OUTSIDER = "john.smith@norvane.example"


@pytest.fixture
def wiki() -> Iterator[confluence_fake.ConfluenceCloud]:
    yield from serve_fake(confluence_fake.ConfluenceCloud())


def _small_kb(kb: Path) -> None:
    (kb / "articles" / "en").mkdir(parents=True)
    source = SAMPLE_KB_DIR / "articles" / "en" / "vpn-connect.md"
    (kb / "articles" / "en" / "vpn-connect.md").write_text(source.read_text("utf-8"), "utf-8")


@pytest.fixture
async def guichet(
    components: Components, tmp_path: Path
) -> AsyncIterator[tuple[Services, str, dict[str, str]]]:
    """The real app served by uvicorn on 127.0.0.1, and the environment of its CLI."""
    kb, data = tmp_path / "kb", tmp_path / "var"
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'g.db'}"
    _small_kb(kb)
    settings = load_settings(
        data_dir=data,
        database_url=database_url,
        knowledge={"kb_dir": kb, "sources": {"run_scheduler": False}},
    )
    knowledge = open_knowledge_base(kb, settings.index_dir, components.embedder)
    mine = Components(components.embedder, knowledge, components.parser, components.languages)
    services = await open_services(settings, mine)
    app = create_app(settings, services)
    environment = {
        **os.environ,
        "GUICHET_DATA_DIR": str(data),
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_KNOWLEDGE__KB_DIR": str(kb),
        "GUICHET_KNOWLEDGE__SOURCES__ENABLED": '["confluence"]',
        "GUICHET_KNOWLEDGE__SOURCES__CONFLUENCE__EMAIL": confluence_fake.EMAIL,
        "GUICHET_KNOWLEDGE__SOURCES__CONFLUENCE__API_TOKEN": confluence_fake.API_TOKEN,
        "GUICHET_KNOWLEDGE__SOURCES__CONFLUENCE__SPACES": '["IT"]',
        "COLUMNS": "200",
    }
    try:
        async with app.router.lifespan_context(app):
            server = LocalServer(app).start()
            try:
                yield services, server.url, environment
            finally:
                server.stop()
    finally:
        await services.close()


async def _sync(services: Services, environment: dict[str, str], wiki_url: str) -> None:
    before = services.knowledge.version
    # Through the entry point in this process (tests/cli.py): the command publishes to the data
    # folder, which the service reads, as from a process of its own.
    done = await asyncio.to_thread(
        invoke,
        ["index", "sync", "confluence"],
        {**environment, "GUICHET_KNOWLEDGE__SOURCES__CONFLUENCE__BASE_URL": f"{wiki_url}/wiki"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for _ in range(300):  # the service picks the version the command published up
        services.knowledge.reload_if_changed(force=True)
        if services.knowledge.version != before:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the service did not pick the new index version up")


async def _suggested(url: str, headers: dict[str, str] | None, text: str) -> set[str]:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        answer = await client.get("/api/v1/suggest", params={"q": text, "lang": "en"})
    assert answer.status_code == 200, answer.text
    return {s["id"] for s in answer.json()["suggestions"]}


async def test_a_restricted_confluence_page_is_suggested_to_its_group_only(
    guichet: tuple[Services, str, dict[str, str]], wiki: confluence_fake.ConfluenceCloud
) -> None:
    services, url, environment = guichet
    word = f"quill{uuid.uuid4().hex[:6]}"
    page = wiki.create_page(
        "IT",
        f"Rebooting the {word} console",
        f"<h2>Steps</h2><p>Hold the {word} power key ten seconds.</p>",
        labels=("console",),
        groups=("service-desk",),
    )
    document = f"confluence:{page}"
    await _sync(services, environment, wiki.url)

    member = await bearer(services, role="employee", email=MEMBER)
    outsider = await bearer(services, role="employee", email=OUTSIDER)
    agent = await bearer(services, role="agent", email="agent@norvane.example")
    for headers, sees in [(None, False), (outsider, False), (member, True), (agent, True)]:
        assert (document in await _suggested(url, headers, f"{word} console")) is sees, headers

    wiki.restrict(page, groups=())  # no new version: the listing still sees it
    await _sync(services, environment, wiki.url)
    for headers in (None, outsider, member):
        assert document in await _suggested(url, headers, f"{word} console")
