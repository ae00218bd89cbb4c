"""The knowledge-base folder as a source (the default): what changed since the last sync,
found by each file's size and modification time, then its content's hash.

The folder is its own store: the index reads its articles, catalog and actions from it as it
always did (`KnowledgeContent`); syncing it says what changed and rebuilds the index.
The cursor maps each article file to its size, time, hash and article id (a deleted file's
id is known without it).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict

import anyio

from knowledge_index.documents import Article, ContentInvalid, article_paths, load_article
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)


class _Seen(TypedDict):
    size: int
    mtime_ns: int
    sha256: str
    id: str


def _document(article: Article, path: Path) -> SourceDocument:
    return SourceDocument(
        id=article.id,
        title=article.title,
        body=article.body,
        url=f"/kb/{article.lang}/{article.slug}",
        language=article.lang,
        pair=article.slug,
        groups=tuple(article.groups),
        updated=datetime.fromtimestamp(path.stat().st_mtime, UTC),
        type=article.type,
        category=article.category,
        tags=tuple(article.tags),
    )


class FolderSource:
    """Articles under `{kb_dir}/articles`."""

    name = "folder"
    stores_documents = False

    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = kb_dir

    async def changes(self, since: str | None) -> SourceChanges:
        return await anyio.to_thread.run_sync(self._changes, since)

    def _changes(self, since: str | None) -> SourceChanges:
        articles = self.kb_dir / "articles"
        if not self.kb_dir.is_dir():
            raise SourceUnavailable(source=self.name, problem=f"{self.kb_dir} is not a directory")
        before: dict[str, _Seen] = json.loads(since) if since else {}
        now: dict[str, _Seen] = {}
        documents: list[SourceDocument] = []
        for path in article_paths(articles) if articles.is_dir() else []:
            key = path.relative_to(articles).as_posix()
            stat = path.stat()
            seen = before.get(key)
            if seen and (seen["size"], seen["mtime_ns"]) == (stat.st_size, stat.st_mtime_ns):
                now[key] = seen
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if seen and seen["sha256"] == digest:  # touched, not changed
                now[key] = {**seen, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
                continue
            try:
                article = load_article(path)
            except ContentInvalid as exc:
                raise SourceUnavailable(source=self.name, problem=str(exc)) from exc
            now[key] = {
                "size": stat.st_size,
                "mtime_ns": stat.st_mtime_ns,
                "sha256": digest,
                "id": article.id,
            }
            documents.append(_document(article, path))
        kept = {seen["id"] for seen in now.values()}
        deleted = sorted({seen["id"] for seen in before.values()} - kept)
        return SourceChanges(documents, deleted, json.dumps(now, sort_keys=True))

    async def health(self) -> SourceHealth:
        if self.kb_dir.is_dir():
            return SourceHealth(ok=True, detail=str(self.kb_dir))
        return SourceHealth(ok=False, detail=f"{self.kb_dir} is not a directory")

    async def aclose(self) -> None:
        return None
