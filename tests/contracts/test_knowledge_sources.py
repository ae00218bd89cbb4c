"""The knowledge-source contract, the same for every source reached over HTTP (each against a
local server speaking its vendor's documented protocol; see harness_sources.py): a document
created, changed or deleted there is created, changed or gone after one sync; paging reads
everything; refused credentials, a server down or failing are recorded errors that keep the
last good content."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.kernel.language import Language
from bot.settings import SAMPLE_NLU_DIR
from bot.storage.database import Database
from bot.storage.knowledge_sources import KnowledgeSourceStore
from knowledge_index.sources.protocol import DetectLanguage, KnowledgeSource
from knowledge_index.sources.sync import SyncResult, sync_source
from nlu.data import load_training_data
from nlu.language import LanguageDetector
from tests.contracts.fakes.server import free_port
from tests.contracts.harness_sources import HARNESSES, SourceHarness, synced_entries, unique_word

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module", params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[SourceHarness]:
    yield from HARNESSES[request.param]()


@pytest.fixture(scope="module")
def detect() -> DetectLanguage:
    detector = LanguageDetector(load_training_data(SAMPLE_NLU_DIR))

    def language(text: str) -> Language:
        return detector.detect(text).language

    return language


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[KnowledgeSourceStore]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'sources.db'}")
    await database.migrate()
    try:
        yield KnowledgeSourceStore(database)
    finally:
        await database.close()


async def _sync(
    harness: SourceHarness, store: KnowledgeSourceStore, detect: DetectLanguage,
    source: KnowledgeSource | None = None,
) -> SyncResult:  # fmt: skip
    opened = source or harness.source()
    try:
        return await sync_source(opened, store, detect)
    finally:
        await opened.aclose()


async def test_created_changed_and_deleted_after_one_sync_each(
    harness: SourceHarness, store: KnowledgeSourceStore, detect: DetectLanguage
) -> None:
    word = unique_word()
    english = harness.create(
        f"Plotter {word} jams", f"Open the {word} plotter tray and remove the jammed sheet.", ()
    )
    french = harness.create(
        f"Le traceur {word} bourre",
        f"Ouvrez le bac du traceur {word} et retirez la feuille coincée, puis relancez.",
        (),
    )
    synced = await _sync(harness, store, detect)
    assert not synced.errors and synced.created >= 2
    found = await synced_entries(store, harness.name)
    assert found[english].title == f"Plotter {word} jams"
    assert f"Open the {word} plotter tray" in found[english].body
    assert found[english].language == "en" and found[french].language == "fr"
    assert found[english].url.startswith("http") and found[english].groups == []

    again = await _sync(harness, store, detect)
    assert not again.errors and again.created == again.changed == again.deleted == 0

    harness.change(english, f"Plotter {word} shows E42", "Turn it off and on again.")
    changed = await _sync(harness, store, detect)
    assert not changed.errors and changed.changed == 1 and changed.created == 0
    found = await synced_entries(store, harness.name)
    assert found[english].title == f"Plotter {word} shows E42"
    assert "Turn it off and on again." in found[english].body

    harness.delete(english)
    deleted = await _sync(harness, store, detect)
    assert not deleted.errors and deleted.deleted == 1
    found = await synced_entries(store, harness.name)
    assert english not in found and french in found
    state = await store.state(harness.name)
    assert state is not None and state.last_error is None and state.deleted == 1


async def test_every_page_of_results_is_read(
    harness: SourceHarness, store: KnowledgeSourceStore, detect: DetectLanguage
) -> None:
    word = unique_word()
    created = [
        harness.create(f"Badge reader {word} {n}", f"Badge reader {word} number {n}.", ())
        for n in range(harness.page_size * 2 + 1)
    ]
    synced = await _sync(harness, store, detect)
    assert not synced.errors
    assert set(created) <= set(await synced_entries(store, harness.name))


async def test_a_group_restriction_becomes_the_entry_groups(
    harness: SourceHarness, store: KnowledgeSourceStore, detect: DetectLanguage
) -> None:
    if not harness.restricts:
        pytest.skip(f"{harness.name} restricts by configuration, not per document")
    word = unique_word()
    restricted = harness.create(f"Console {word}", f"Hold the {word} key.", ("service-desk",))
    await _sync(harness, store, detect)
    assert (await synced_entries(store, harness.name))[restricted].groups == ["service-desk"]


@pytest.mark.parametrize("failure", ["wrong credentials", "server down", "server error"])
async def test_a_failure_is_recorded_and_the_last_good_content_kept(
    harness: SourceHarness, store: KnowledgeSourceStore, detect: DetectLanguage, failure: str
) -> None:
    word = unique_word()
    kept = harness.create(f"Docking station {word}", f"Replug the {word} dock.", ())
    assert not (await _sync(harness, store, detect)).errors
    before = await store.state(harness.name)
    assert before is not None and before.last_error is None

    harness.change(kept, f"Docking station {word} v2", "Changed meanwhile.")
    if failure == "wrong credentials":
        source = harness.source("wrong")
        expected = "refused"
    elif failure == "server down":
        source = harness.source(url=f"http://127.0.0.1:{free_port()}")
        expected = "unreachable"
    else:
        harness.faults.fail_next(503)
        source = harness.source()
        expected = "503"
    try:
        failed = await _sync(harness, store, detect, source)
    finally:
        harness.faults.clear()
    assert failed.errors and expected in failed.errors[0], failed.errors
    assert not any(secret in failed.errors[0] for secret in harness.secrets)
    state = await store.state(harness.name)
    assert state is not None and state.last_error is not None and expected in state.last_error
    assert state.last_success == before.last_success and state.documents == before.documents
    assert state.cursor == before.cursor
    assert (await synced_entries(store, harness.name))[kept].title == f"Docking station {word}"

    recovered = await _sync(harness, store, detect)
    assert not recovered.errors and recovered.changed >= 1
    assert (await synced_entries(store, harness.name))[kept].title == f"Docking station {word} v2"
    state = await store.state(harness.name)
    assert state is not None and state.last_error is None
