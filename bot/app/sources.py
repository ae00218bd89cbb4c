"""Knowledge sources wired up: sync them into the store, rebuild the index from the folder and
the store, on demand (`guichet index sync`) and on a schedule in the service.

A source that cannot be read changes nothing: the index keeps serving what was synced before
(and `/readyz` stays ready); the store records the error for `guichet doctor`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import anyio

from bot.kernel.language import Language
from bot.services import Services
from bot.settings import Settings
from bot.storage.database import Database
from bot.storage.knowledge_sources import KnowledgeSourceStore
from knowledge_index.documents import Entry
from knowledge_index.embedders import Embedder
from knowledge_index.index import KnowledgeIndex, Progress
from knowledge_index.service import Changes, IndexedKnowledgeBase, update_index
from knowledge_index.sources.protocol import DetectLanguage, SourceContext, SourceUnavailable
from knowledge_index.sources.registry import FOLDER, build_source, configured_sources
from knowledge_index.sources.sync import SourceState, SyncResult, sync_source

log = logging.getLogger("guichet.sources")
Report = Callable[[str], None]
# How often the scheduler looks for a source due for its sync.
TICK_SECONDS = 5.0


def source_context(settings: Settings) -> SourceContext:
    return SourceContext(settings=settings.knowledge.sources, kb_dir=settings.knowledge.kb_dir)


def stored_sources(settings: Settings) -> list[str]:
    """The enabled sources whose documents Guichet keeps (all but the folder)."""
    return [name for name in settings.knowledge.sources.enabled if name != FOLDER]


def lazy_detector(settings: Settings) -> DetectLanguage:
    """The NLU's language detector, loaded on the first document whose source says nothing."""
    loaded: list[Callable[[str], Language]] = []

    def detect(text: str) -> Language:
        if not loaded:
            from nlu.data import load_training_data
            from nlu.language import LanguageDetector

            detector = LanguageDetector(load_training_data(settings.nlu.data_dir))
            loaded.append(lambda t: detector.detect(t).language)
        return loaded[0](text)

    return detect


async def synced_entries(settings: Settings, database: Database | None = None) -> list[Entry]:
    """The stored documents of the enabled sources, as entries; none when none is enabled
    (the folder alone: the database is not even opened)."""
    names = stored_sources(settings)
    if not names:
        return []
    opened = database or Database(settings.effective_database_url)
    try:
        if database is None:
            await opened.migrate()
        return await KnowledgeSourceStore(opened).entries(names)
    finally:
        if database is None:
            await opened.close()


@dataclass
class SourceSync:
    """Syncs sources into the store and brings the index up to date with it."""

    settings: Settings
    store: KnowledgeSourceStore
    embedder: Embedder
    detect: DetectLanguage
    knowledge: IndexedKnowledgeBase | None = None  # the process's own: served at once
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def sync(
        self, names: Sequence[str], report: Report | None = None, progress: Progress | None = None
    ) -> tuple[list[SyncResult], Changes | None]:
        """Sync `names` one after the other, then rebuild the index if any changed."""
        async with self._lock:
            results = [await self._sync_one(name, report) for name in names]
            if not any(result.any for result in results):
                return results, None
            index, changes = await self.rebuild(progress)
            if self.knowledge is not None:
                self.knowledge.adopt(index)
            return results, changes

    async def _sync_one(self, name: str, report: Report | None) -> SyncResult:
        try:
            source = build_source(name, source_context(self.settings))
        except SourceUnavailable as exc:
            await self.store.record_error(name, str(exc))
            return SyncResult(name, errors=[str(exc)])
        try:
            return await sync_source(source, self.store, self.detect, report)
        finally:
            await source.aclose()

    async def rebuild(self, progress: Progress | None = None) -> tuple[KnowledgeIndex, Changes]:
        synced = await self.store.entries(stored_sources(self.settings))
        knowledge = self.settings.knowledge
        index, changes = await anyio.to_thread.run_sync(
            lambda: update_index(
                knowledge.kb_dir,
                self.settings.index_dir,
                self.embedder,
                progress=progress,
                synced=synced,
            )
        )
        if self.settings.redis_url and changes.any:
            from bot.scale.index_versions import announce_version

            await anyio.to_thread.run_sync(
                announce_version, self.settings.redis_url, self.settings.index_dir
            )
        return index, changes

    async def run(self, stop: asyncio.Event) -> None:
        """Sync each enabled source on its interval until `stop` is set (the service's
        background worker); the first round right away."""
        intervals = {
            name: _interval(self.settings, name) for name in self.settings.knowledge.sources.enabled
        }
        due = dict.fromkeys(intervals, 0.0)
        while not stop.is_set():
            now = time.monotonic()
            ready = [name for name, at in due.items() if at <= now]
            if ready:
                try:
                    results, _ = await self.sync(ready)
                    for result in results:
                        if result.errors:
                            log.warning("source %s: %s", result.source, "; ".join(result.errors))
                except Exception:  # the worker goes on; the next round tries again
                    log.exception("knowledge sources %s not synced", ready)
                for name in ready:
                    due[name] = time.monotonic() + intervals[name]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK_SECONDS)


def _interval(settings: Settings, name: str) -> float:
    found = getattr(settings.knowledge.sources, name, None)
    seconds = getattr(found, "interval_seconds", None)
    return float(seconds) if isinstance(seconds, int | float) else 900.0


def status_line(state: SourceState | None, name: str) -> str:
    """One source's sync, in one line: last sync, counts, last error."""
    if state is None or state.last_sync is None:
        return f"{name}: never synced"
    good = (
        f"last good sync {state.last_success:%Y-%m-%d %H:%M} UTC"
        if state.last_success
        else "never synced successfully"
    )
    line = (
        f"{name}: {good}, {state.documents} documents (last: {state.created} created, "
        f"{state.changed} changed, {state.deleted} deleted)"
    )
    if state.last_error:
        line += f"; last error at {state.last_sync:%Y-%m-%d %H:%M} UTC: {state.last_error}"
    return line


async def source_status(settings: Settings, store: KnowledgeSourceStore) -> list[tuple[bool, str]]:
    """Each configured source's status line, and whether it is healthy (no error since its
    last good sync): what `guichet doctor` lists."""
    states = {state.source: state for state in await store.states()}
    lines = []
    for name in configured_sources(source_context(settings)):
        state = states.get(name)
        healthy = state is not None and state.last_error is None
        if name == FOLDER and state is None:
            healthy = True  # the folder is read directly; syncing it is optional
        lines.append((healthy, status_line(state, name)))
    return lines


def source_scheduler(services: Services) -> SourceSync | None:
    """The service's background sync of the enabled sources; None when none is enabled or
    GUICHET_KNOWLEDGE__SOURCES__RUN_SCHEDULER is false."""
    settings = services.settings
    if not settings.knowledge.sources.enabled or not settings.knowledge.sources.run_scheduler:
        return None
    languages = services.components.languages
    return SourceSync(
        settings,
        KnowledgeSourceStore(services.database),
        services.embedder,
        lambda text: languages.detect(text).language,
        knowledge=services.knowledge,
    )
