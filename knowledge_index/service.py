"""The `KnowledgeBase` plug-in point the dialogue engine asks, and the index it is served from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import anyio

from bot.settings import Language
from knowledge_index.documents import CatalogItem, Entry, EntryType, KnowledgeContent
from knowledge_index.embedders import Embedder
from knowledge_index.index import Hit, KnowledgeIndex, Progress, content_hash


class KnowledgeBase(Protocol):
    """Answers a free-text question with ranked entries (articles, catalog items, ...).

    Scores are cosine similarities in [-1, 1]; one hit per article, in the asked language
    when a translation exists.
    """

    async def search(
        self,
        query: str,
        *,
        language: Language,
        limit: int = 5,
        types: Sequence[EntryType] | None = None,
    ) -> list[Hit]: ...

    def catalog_item(self, item_id: str) -> CatalogItem | None: ...

    def entry(self, group: str, language: Language) -> Entry | None:
        """The entry of a group (an article and its translations) in `language`, if any."""


class IndexedKnowledgeBase:
    def __init__(
        self, index: KnowledgeIndex, embedder: Embedder, content: KnowledgeContent
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.content = content

    async def search(
        self,
        query: str,
        *,
        language: Language,
        limit: int = 5,
        types: Sequence[EntryType] | None = None,
    ) -> list[Hit]:
        if not query.strip():
            return []
        vector = await anyio.to_thread.run_sync(self.embedder.embed, [query])
        return self.index.search_vector(vector[0], language=language, limit=limit, types=types)

    def catalog_item(self, item_id: str) -> CatalogItem | None:
        return self.content.catalog_item(item_id)

    def entry(self, group: str, language: Language) -> Entry | None:
        candidates = [e for e in self.index.entries if e.group == group]
        return next(
            (e for e in candidates if e.language == language), candidates[0] if candidates else None
        )


def build_index(
    kb_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
) -> KnowledgeIndex:
    """Load the index when it matches the content and embedder, otherwise rebuild and save it."""
    content = KnowledgeContent.load(kb_dir)
    entries = content.entries()
    manifest = KnowledgeIndex.read_manifest(index_dir)
    if (
        not force
        and manifest is not None
        and manifest.content_hash == content_hash(entries, embedder)
    ):
        return KnowledgeIndex.load(index_dir, embedder)
    index = KnowledgeIndex.build(entries, embedder, progress=progress)
    index.save(index_dir)
    return index


def open_knowledge_base(
    kb_dir: Path, index_dir: Path, embedder: Embedder, progress: Progress | None = None
) -> IndexedKnowledgeBase:
    index = build_index(kb_dir, index_dir, embedder, progress=progress)
    return IndexedKnowledgeBase(index, embedder, KnowledgeContent.load(kb_dir))
