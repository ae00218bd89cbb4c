"""The synced-documents store, on SQLite and PostgreSQL: what a sync applies, and its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.sources import source_status
from bot.kernel.language import Language
from bot.settings import load_settings
from bot.storage.database import Database
from bot.storage.knowledge_sources import KnowledgeSourceStore
from knowledge_index.documents import Entry
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)
from knowledge_index.sources.sync import sync_source

pytestmark = pytest.mark.unit


class _Listed:
    """A source answering the changes it is given, one call after the other."""

    name = "listed"
    stores_documents = True

    def __init__(self, *answers: SourceChanges | Exception) -> None:
        self.answers = list(answers)
        self.asked: list[str | None] = []

    async def changes(self, since: str | None) -> SourceChanges:
        self.asked.append(since)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def health(self) -> SourceHealth:
        return SourceHealth(ok=True, detail="listed")

    async def aclose(self) -> None:
        return None


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[KnowledgeSourceStore]:
    database = Database(database_url)
    await database.migrate()
    try:
        yield KnowledgeSourceStore(database)
    finally:
        await database.close()


def _doc(number: int, body: str) -> SourceDocument:
    return SourceDocument(
        id=f"listed:{number}", title=f"Doc {number}", body=body, url=f"https://x/{number}",
        groups=("it",) if number == 2 else (),
    )  # fmt: skip


async def test_created_changed_deleted_and_a_failure(store: KnowledgeSourceStore) -> None:
    source = _Listed(
        SourceChanges([_doc(1, "one"), _doc(2, "two")], [], "c1"),
        SourceChanges([_doc(1, "one"), _doc(2, "two, again")], ["listed:9"], "c2"),
        SourceUnavailable(source="listed", problem="down"),
        SourceChanges([], ["listed:1"], "c3"),
    )
    detected: list[str] = []

    def detect(text: str) -> Language:
        detected.append(text)
        return "fr"

    first = await sync_source(source, store, detect)
    assert (first.created, first.changed, first.deleted) == (2, 0, 0)
    second = await sync_source(source, store, detect)
    assert (second.created, second.changed, second.unchanged, second.deleted) == (0, 1, 1, 0)
    failed = await sync_source(source, store, detect)
    assert failed.errors and not failed.any
    state = await store.state("listed")
    assert state is not None and state.cursor == "c2" and state.last_error
    assert state.documents == 2 and state.last_success is not None
    entries: list[Entry] = await store.entries(["listed"])
    assert {e.id: e.body for e in entries} == {"listed:1": "one", "listed:2": "two, again"}
    assert {e.id: e.groups for e in entries}["listed:2"] == ["it"]
    assert {e.language for e in entries} == {"fr"} and detected

    last = await sync_source(source, store, detect)
    assert last.deleted == 1 and source.asked == [None, "c1", "c2", "c2"]
    state = await store.state("listed")
    assert state is not None and state.last_error is None and state.documents == 1
    assert [e.id for e in await store.entries(["listed"])] == ["listed:2"]


async def test_status_lines_for_the_doctor(store: KnowledgeSourceStore, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        knowledge={"sources": {"enabled": ["request_tracker"]}},
    )
    await store.record_error("request_tracker", "knowledge source request_tracker: down")
    lines = await source_status(settings, store)
    assert lines == [
        (True, "folder: never synced"),
        (False, lines[1][1]),
    ]
    assert lines[1][1].startswith("request_tracker: never synced successfully, 0 documents")
    assert lines[1][1].endswith("UTC: knowledge source request_tracker: down")
