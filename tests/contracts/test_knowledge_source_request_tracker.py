"""Request Tracker's articles as a knowledge source, against the real Request Tracker: articles
created, changed and deleted there appear, change and disappear in the omnibox after one
`guichet index sync request_tracker`; a Request Tracker that is down changes nothing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.app.services import open_services
from bot.app.web import create_app
from bot.services import Components, Services
from bot.settings import SAMPLE_KB_DIR, load_settings
from bot.storage.knowledge_sources import KnowledgeSourceStore
from knowledge_index.service import open_knowledge_base
from tests.cli import invoke
from tests.contracts.fakes.server import free_port
from tests.request_tracker import PASSWORD, RunningRequestTracker

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass
class Setup:
    data: Path
    kb: Path
    database_url: str
    rt: RunningRequestTracker

    def environment(self, rt_url: str) -> dict[str, str]:
        return {
            **os.environ,
            "GUICHET_DATA_DIR": str(self.data),
            "GUICHET_DATABASE_URL": self.database_url,
            "GUICHET_KNOWLEDGE__KB_DIR": str(self.kb),
            "GUICHET_KNOWLEDGE__SOURCES__ENABLED": '["request_tracker"]',
            "GUICHET_KNOWLEDGE__SOURCES__REQUEST_TRACKER__BASE_URL": rt_url,
            "GUICHET_KNOWLEDGE__SOURCES__REQUEST_TRACKER__PASSWORD": PASSWORD,
            "COLUMNS": "200",
        }

    def sync(self, rt_url: str | None = None) -> subprocess.CompletedProcess[str]:
        """The command through its entry point in this process (tests/cli.py): it publishes to
        the data folder, which the service reads, as from a process of its own."""
        return invoke(["index", "sync", "request_tracker"], self.environment(rt_url or self.rt.url))


def _small_kb(kb: Path) -> None:
    """Two articles of the sample, no catalog: the index builds in seconds."""
    (kb / "articles" / "en").mkdir(parents=True)
    for name in ("vpn-connect.md", "account-locked.md"):
        source = SAMPLE_KB_DIR / "articles" / "en" / name
        (kb / "articles" / "en" / name).write_text(source.read_text("utf-8"), "utf-8")


async def _rt(rt: RunningRequestTracker, method: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient(auth=("root", PASSWORD), timeout=30) as client:
        answer = await client.request(method, f"{rt.url}/REST/2.0{path}", json=body)
        answer.raise_for_status()
        return answer.json() if answer.content else None


async def _suggested(client: httpx.AsyncClient, text: str) -> dict[str, str]:
    answer = await client.get("/api/v1/suggest", params={"q": text, "lang": "en"})
    assert answer.status_code == 200, answer.text
    return {s["id"]: s["title"] for s in answer.json()["suggestions"] if ":" in s["id"]}


async def _picked_up(services: Services, before: str | None) -> None:
    """Wait until the service serves the version the command published (it polls for it)."""
    for _ in range(300):
        services.knowledge.reload_if_changed(force=True)
        if services.knowledge.version != before:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the service did not pick the new index version up")


@pytest.fixture
async def served(
    request_tracker: RunningRequestTracker, components: Components, tmp_path: Path
) -> AsyncIterator[tuple[Setup, Services, FastAPI]]:
    setup = Setup(
        tmp_path / "var", tmp_path / "kb", f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        request_tracker,
    )  # fmt: skip
    _small_kb(setup.kb)
    settings = load_settings(
        data_dir=setup.data,
        database_url=setup.database_url,
        knowledge={"kb_dir": setup.kb, "sources": {"run_scheduler": False}},
    )
    knowledge = open_knowledge_base(setup.kb, settings.index_dir, components.embedder)
    mine = Components(components.embedder, knowledge, components.parser, components.languages)
    services = await open_services(settings, mine)
    app = create_app(settings, services)
    try:
        async with app.router.lifespan_context(app):
            yield setup, services, app
    finally:
        await services.close()


async def test_articles_appear_change_and_disappear_after_one_sync(
    served: tuple[Setup, Services, FastAPI],
) -> None:
    setup, services, app = served
    word = f"zorbq{uuid.uuid4().hex[:6]}"
    created = await _rt(
        setup.rt, "POST", "/article",
        {
            "Name": f"Plotter {word} jams on thick paper",
            "Summary": "What to do when the plotter jams",
            "Class": "General",
            "CustomFields": {"Content": f"Open the {word} plotter tray and remove the sheet."},
        },
    )  # fmt: skip
    article = f"request_tracker:{created['id']}"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://guichet.test") as client:
        assert article not in await _suggested(client, f"plotter {word}")

        version = services.knowledge.version
        synced = setup.sync()
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert "request_tracker" in synced.stdout and "created" in synced.stdout
        await _picked_up(services, version)
        found = await _suggested(client, f"plotter {word}")
        assert found.get(article) == f"Plotter {word} jams on thick paper"
        answer = await client.get("/api/v1/suggest", params={"q": f"plotter {word}"})
        url = next(s["url"] for s in answer.json()["suggestions"] if s["id"] == article)
        assert url == f"{setup.rt.url}/Articles/Article/Display.html?id={created['id']}"

        await asyncio.sleep(1.1)  # RT keeps times to the second
        await _rt(
            setup.rt, "PUT", f"/article/{created['id']}",
            {"Name": f"Plotter {word} shows error E42", "CustomFields": {"Content": "Restart."}},
        )  # fmt: skip
        version = services.knowledge.version
        synced = setup.sync()
        assert synced.returncode == 0, synced.stdout + synced.stderr
        await _picked_up(services, version)
        assert (await _suggested(client, f"plotter {word}")).get(article) == (
            f"Plotter {word} shows error E42"
        )

        # Request Tracker is down: nothing changes, the error is recorded, still ready.
        closed = f"http://127.0.0.1:{free_port()}"
        down = setup.sync(closed)
        assert down.returncode == 1 and "unreachable" in down.stdout
        state = await KnowledgeSourceStore(services.database).state("request_tracker")
        assert state is not None and state.last_error and "unreachable" in state.last_error
        assert state.documents >= 1 and state.last_success is not None
        assert (await _suggested(client, f"plotter {word}")).get(article)
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"

        await asyncio.sleep(1.1)
        await _rt(setup.rt, "DELETE", f"/article/{created['id']}")  # RT disables it
        version = services.knowledge.version
        synced = setup.sync()
        assert synced.returncode == 0, synced.stdout + synced.stderr
        await _picked_up(services, version)
        assert article not in await _suggested(client, f"plotter {word}")
        state = await KnowledgeSourceStore(services.database).state("request_tracker")
        assert state is not None and state.last_error is None and state.deleted == 1
