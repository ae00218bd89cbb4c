"""The ITSM tools' knowledge bases as knowledge sources (ServiceNow, GLPI, Zammad), each
against a local server replaying its documented API: articles created, changed and removed
there (retired, purged, archived) appear, change and leave after one sync; pages are
followed; restrictions become directory groups (or agents only); translations are paired;
a refused or unreachable source records its error and keeps the last content."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bot.app.services import open_services
from bot.app.sources import SourceSync
from bot.app.web import create_app
from bot.services import Components
from bot.settings import load_settings
from bot.storage.database import Database
from bot.storage.knowledge_sources import KnowledgeSourceStore
from knowledge_index.service import open_knowledge_base
from knowledge_index.sources.itsm_common import AGENTS_ONLY
from knowledge_index.sources.protocol import SourceContext
from knowledge_index.sources.registry import build_source
from knowledge_index.sources.sync import SyncResult, sync_source
from tests.bot.auth.helpers import bearer
from tests.contracts.fakes.server import free_port
from tests.contracts.harness_sources import synced_entries, unique_word
from tests.contracts.harness_sources_itsm import (
    ITSM_SOURCE_HARNESSES,
    Article,
    SourceAccount,
    SourceHarness,
)

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module", params=sorted(ITSM_SOURCE_HARNESSES))
def source_harness(request: pytest.FixtureRequest) -> Iterator[SourceHarness]:
    yield from ITSM_SOURCE_HARNESSES[request.param]()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[KnowledgeSourceStore]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sources.db'}")
    await database.migrate()
    try:
        yield KnowledgeSourceStore(database)
    finally:
        await database.close()


async def _sync(
    harness: SourceHarness,
    store: KnowledgeSourceStore,
    components: Components,
    *,
    account: SourceAccount = "guichet",
    url: str | None = None,
    page_size: int = 100,
) -> SyncResult:
    settings = harness.settings(account, url or harness.url, page_size)
    source = build_source(harness.name, SourceContext(settings, Path("unused")))
    try:
        return await sync_source(
            source, store, lambda text: components.languages.detect(text).language
        )
    finally:
        await source.aclose()


async def test_created_changed_and_removed_after_one_sync_each(
    source_harness: SourceHarness, store: KnowledgeSourceStore, components: Components
) -> None:
    word = unique_word()
    article = Article(
        f"The {word} VPN drops every hour",
        f"<p>Open <b>Settings</b>, then reconnect the {word} VPN.</p><ul><li>Step one</li></ul>",
    )
    document_id = source_harness.create(article)
    first = await _sync(source_harness, store, components)
    assert first.errors == [] and first.created >= 1
    entry = (await synced_entries(store, source_harness.name))[document_id]
    assert entry.title == article.title
    assert f"reconnect the {word} VPN" in entry.body and "<p>" not in entry.body
    assert entry.groups == [] and entry.url.startswith(source_harness.url)
    if source_harness.language:
        assert entry.language == source_harness.language

    source_harness.change(document_id, Article(f"The {word} VPN asks for a token", "<p>Retry.</p>"))
    second = await _sync(source_harness, store, components)
    assert second.errors == [] and second.changed == 1 and second.created == 0
    assert (await synced_entries(store, source_harness.name))[document_id].title == (
        f"The {word} VPN asks for a token"
    )

    source_harness.remove(document_id)
    third = await _sync(source_harness, store, components)
    assert third.errors == [] and third.deleted == 1
    assert document_id not in await synced_entries(store, source_harness.name)
    state = await store.state(source_harness.name)
    assert state is not None and state.deleted == 1 and state.last_error is None


async def test_every_page_is_read(
    source_harness: SourceHarness, store: KnowledgeSourceStore, components: Components
) -> None:
    word = unique_word()
    created = {
        source_harness.create(Article(f"Printer {word} tip {n}", f"<p>Tip {n} for {word}.</p>"))
        for n in range(5)
    }
    result = await _sync(source_harness, store, components, page_size=2)
    assert result.errors == []
    assert created <= set(await synced_entries(store, source_harness.name))


async def test_restricted_articles_go_to_their_groups_or_to_agents(
    source_harness: SourceHarness, store: KnowledgeSourceStore, components: Components
) -> None:
    word = unique_word()
    internal = source_harness.create(
        Article(f"Internal {word} runbook", "<p>Restart the broker.</p>", agents_only=True)
    )
    grouped = None
    if source_harness.names_groups:
        grouped = source_harness.create(
            Article(f"Desk {word} procedure", "<p>Reset the token.</p>", groups=("service-desk",))
        )
    result = await _sync(source_harness, store, components)
    assert result.errors == []
    entries = await synced_entries(store, source_harness.name)
    assert entries[internal].groups == list(AGENTS_ONLY)
    if grouped:
        assert entries[grouped].groups == ["service-desk"]


async def test_translations_are_paired_with_their_languages(
    source_harness: SourceHarness, store: KnowledgeSourceStore, components: Components
) -> None:
    word = unique_word()
    original = source_harness.create(
        Article(
            f"Connecting to the {word} wifi",
            "<p>Choose the network, then enter your password.</p>",
            translation=("fr", f"Se connecter au wifi {word}", "<p>Choisissez le réseau, puis "
                         "saisissez votre mot de passe.</p>"),
        )
    )  # fmt: skip
    translated = source_harness.translation_id(original, "fr")
    assert (await _sync(source_harness, store, components)).errors == []
    entries = await synced_entries(store, source_harness.name)
    assert entries[original].language == "en" and entries[translated].language == "fr"
    assert entries[translated].title == f"Se connecter au wifi {word}"
    assert entries[original].group == entries[translated].group


async def test_a_refused_or_unreachable_source_keeps_the_last_content(
    source_harness: SourceHarness, store: KnowledgeSourceStore, components: Components
) -> None:
    article = Article(f"Badge {unique_word()} reader", "<p>Tap twice.</p>")
    document_id = source_harness.create(article)
    assert (await _sync(source_harness, store, components)).errors == []
    good = await store.state(source_harness.name)
    assert good is not None

    refused = await _sync(source_harness, store, components, account="wrong")
    assert refused.errors and "refused" in refused.errors[0]
    down = await _sync(source_harness, store, components, url=f"http://127.0.0.1:{free_port()}")
    assert down.errors and "unreachable" in down.errors[0]
    source_harness.faults.fail_next(500)
    failing = await _sync(source_harness, store, components)
    assert failing.errors and "HTTP 500" in failing.errors[0]

    state = await store.state(source_harness.name)
    assert state is not None and state.last_error and "HTTP 500" in state.last_error
    assert state.cursor == good.cursor and state.last_success == good.last_success
    assert document_id in await synced_entries(store, source_harness.name)
    assert (await _sync(source_harness, store, components)).errors == []


@pytest.fixture(scope="module")
def servicenow() -> Iterator[SourceHarness]:
    yield from ITSM_SOURCE_HARNESSES["servicenow"]()


@pytest.mark.slow
async def test_an_article_for_a_group_is_suggested_to_its_members_only(
    servicenow: SourceHarness, components: Components, tmp_path: Path
) -> None:
    """Through the real app: synced from ServiceNow, offered in the omnibox to a member of
    the group its user criteria name, and to agents; not to other employees."""
    word = unique_word()
    restricted = servicenow.create(
        Article(
            f"Rebooting the {word} core switch",
            f"<p>Hold the {word} switch's reset key ten seconds.</p>",
            groups=("service-desk",),
        )
    )
    kb = tmp_path / "kb"
    (kb / "articles").mkdir(parents=True)
    sources = servicenow.settings("guichet", servicenow.url, 100).model_dump()
    settings = load_settings(
        data_dir=tmp_path / "var",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        knowledge={"kb_dir": kb, "sources": {**sources, "run_scheduler": False}},
    )
    knowledge = open_knowledge_base(kb, settings.index_dir, components.embedder)
    mine = Components(components.embedder, knowledge, components.parser, components.languages)
    services = await open_services(settings, mine)
    app = create_app(settings, services)
    try:
        async with app.router.lifespan_context(app):
            syncing = SourceSync(
                settings,
                KnowledgeSourceStore(services.database),
                components.embedder,
                lambda text: components.languages.detect(text).language,
                knowledge=services.knowledge,
            )
            results, _ = await syncing.sync(["servicenow"])
            assert results[0].errors == [] and results[0].created >= 1
            member = await bearer(services, role="employee", email="sam.taylor@norvane.example")
            outsider = await bearer(services, role="employee", email="john.smith@norvane.example")
            agent = await bearer(services, role="agent", email="agent@norvane.example")
            for headers, sees in [(None, False), (outsider, False), (member, True), (agent, True)]:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://guichet.test", headers=headers
                ) as client:
                    answer = await client.get(
                        "/api/v1/suggest", params={"q": f"{word} switch", "lang": "en"}
                    )
                    assert answer.status_code == 200, answer.text
                    offered = {s["id"] for s in answer.json()["suggestions"]}
                    assert (restricted in offered) is sees, headers
    finally:
        await services.close()
