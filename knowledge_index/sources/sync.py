"""Syncing a source: its changes since the stored cursor into the synced-documents store.

The store (`SyncedDocuments`, kept in the database by the core) holds, per source, the cursor,
the time of the last sync and of the last good one, counts and the last error, and the
documents of the sources that are not their own store, as the index's entries. A source that
cannot be read leaves everything as it was and records the error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from knowledge_index.documents import Entry
from knowledge_index.sources.protocol import (
    DetectLanguage,
    KnowledgeSource,
    SourceChanges,
    SourceDocument,
    SourceUnavailable,
)

Report = Callable[[str], None]


@dataclass(frozen=True)
class SourceState:
    """Where a source's sync stands."""

    source: str
    cursor: str | None = None
    last_sync: datetime | None = None  # the last attempt, good or not
    last_success: datetime | None = None
    documents: int = 0
    created: int = 0  # by the last good sync
    changed: int = 0
    deleted: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class Applied:
    created: int
    changed: int
    deleted: int
    unchanged: int


class SyncedDocuments(Protocol):
    """The synced-documents store."""

    async def state(self, source: str) -> SourceState | None: ...

    async def states(self) -> list[SourceState]: ...

    async def apply(
        self,
        source: str,
        documents: Sequence[tuple[str, str, Entry | None]],
        deleted: Sequence[str],
        cursor: str | None,
    ) -> Applied:
        """Store (id, content hash, entry or None) of created or changed documents, remove
        the deleted ids, move the cursor and the counts, clear the error; in one transaction.
        Counts say what was really new or different (by content hash)."""
        ...

    async def record_error(self, source: str, error: str) -> None: ...

    async def entries(self, sources: Sequence[str]) -> list[Entry]:
        """The stored entries of those sources."""
        ...


@dataclass(frozen=True)
class SyncResult:
    source: str
    created: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.created or self.changed or self.deleted)


def document_entry(document: SourceDocument, detect: DetectLanguage) -> Entry:
    """A synced document as an entry of the index (its language detected if not given)."""
    language = document.language or detect(f"{document.title}\n{document.body[:2000]}")
    return Entry(
        id=document.id,
        group=document.pair or document.id,
        title=document.title,
        language=language,
        type=document.type,
        category=document.category or "general",
        tags=list(document.tags),
        url=document.url,
        body=document.body or document.title,
        updated=document.updated.date() if document.updated else None,
        groups=sorted(document.groups),
    )


async def sync_source(
    source: KnowledgeSource,
    store: SyncedDocuments,
    detect: DetectLanguage,
    report: Report | None = None,
) -> SyncResult:
    """Read `source`'s changes since its cursor and apply them to `store`."""
    say = report or (lambda _line: None)
    state = await store.state(source.name)
    since = state.cursor if state else None
    say(f"{source.name}: reading changes since {'the beginning' if since is None else 'last sync'}")
    try:
        changes: SourceChanges = await source.changes(since)
    except SourceUnavailable as exc:
        await store.record_error(source.name, str(exc))
        say(f"{source.name}: {exc}")
        return SyncResult(source.name, errors=[str(exc)])
    say(f"{source.name}: {len(changes.documents)} to look at, {len(changes.deleted)} deleted")
    rows: list[tuple[str, str, Entry | None]] = []
    errors: list[str] = []
    for document in changes.documents:
        try:
            entry = document_entry(document, detect)
        except ValueError as exc:  # a document the index cannot take: skipped, said
            errors.append(f"{document.id}: {exc}")
            continue
        rows.append((entry.id, entry.content_hash, entry if source.stores_documents else None))
    applied = await store.apply(source.name, rows, changes.deleted, changes.cursor)
    if errors:
        await store.record_error(source.name, "; ".join(errors[:5]))
    return SyncResult(
        source.name,
        created=applied.created,
        changed=applied.changed,
        deleted=applied.deleted,
        unchanged=applied.unchanged,
        errors=errors,
    )
