"""The synced-documents store: each knowledge source's cursor, counts and last error, and the
documents synced from the sources that are not their own store (knowledge_index.sources)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select

from bot.kernel.domain import utcnow
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import KnowledgeDocumentRow, KnowledgeSourceRow
from knowledge_index.documents import Entry
from knowledge_index.sources.sync import Applied, SourceState

ERROR_CHARACTERS = 2000


def _state(row: KnowledgeSourceRow) -> SourceState:
    return SourceState(
        source=row.source,
        cursor=row.cursor,
        last_sync=as_utc(row.last_sync) if row.last_sync else None,
        last_success=as_utc(row.last_success) if row.last_success else None,
        documents=row.documents,
        created=row.created,
        changed=row.changed,
        deleted=row.deleted,
        last_error=row.last_error,
    )


class KnowledgeSourceStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def state(self, source: str) -> SourceState | None:
        async with self._sessions() as session:
            row = await session.get(KnowledgeSourceRow, source)
            return _state(row) if row is not None else None

    async def states(self) -> list[SourceState]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(KnowledgeSourceRow).order_by(KnowledgeSourceRow.source)
            )
            return [_state(row) for row in rows]

    async def apply(
        self,
        source: str,
        documents: Sequence[tuple[str, str, Entry | None]],
        deleted: Sequence[str],
        cursor: str | None,
    ) -> Applied:
        now = utcnow()
        created = changed = unchanged = removed = 0
        async with self._sessions.begin() as session:
            ids = [document_id for document_id, _, _ in documents]
            existing = {
                row.document_id: row
                for row in await session.scalars(
                    select(KnowledgeDocumentRow).where(
                        KnowledgeDocumentRow.source == source,
                        KnowledgeDocumentRow.document_id.in_(ids),
                    )
                )
            } if ids else {}  # fmt: skip
            for document_id, content_hash, entry in documents:
                stored = entry.model_dump_json(exclude_defaults=True) if entry else None
                row = existing.get(document_id)
                if row is None:
                    session.add(
                        KnowledgeDocumentRow(
                            source=source,
                            document_id=document_id,
                            content_hash=content_hash,
                            entry=stored,
                            synced_at=now,
                        )
                    )
                    created += 1
                elif row.content_hash != content_hash:
                    row.content_hash, row.entry, row.synced_at = content_hash, stored, now
                    changed += 1
                else:
                    unchanged += 1
            if deleted:
                result = await session.execute(
                    delete(KnowledgeDocumentRow).where(
                        KnowledgeDocumentRow.source == source,
                        KnowledgeDocumentRow.document_id.in_(list(deleted)),
                    )
                )
                removed = int(getattr(result, "rowcount", 0) or 0)
            await session.flush()
            count = await session.scalar(
                select(func.count())
                .select_from(KnowledgeDocumentRow)
                .where(KnowledgeDocumentRow.source == source)
            )
            row_state = await session.get(KnowledgeSourceRow, source)
            if row_state is None:
                row_state = KnowledgeSourceRow(source=source)
                session.add(row_state)
            row_state.cursor = cursor
            row_state.last_sync = row_state.last_success = now
            row_state.documents = int(count or 0)
            row_state.created, row_state.changed, row_state.deleted = created, changed, removed
            row_state.last_error = None
        return Applied(created=created, changed=changed, deleted=removed, unchanged=unchanged)

    async def record_error(self, source: str, error: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(KnowledgeSourceRow, source)
            if row is None:
                row = KnowledgeSourceRow(
                    source=source, documents=0, created=0, changed=0, deleted=0
                )
                session.add(row)
            row.last_sync = utcnow()
            row.last_error = error[:ERROR_CHARACTERS]

    async def entries(self, sources: Sequence[str]) -> list[Entry]:
        if not sources:
            return []
        async with self._sessions() as session:
            stored = await session.scalars(
                select(KnowledgeDocumentRow.entry)
                .where(
                    KnowledgeDocumentRow.source.in_(list(sources)),
                    KnowledgeDocumentRow.entry.is_not(None),
                )
                .order_by(KnowledgeDocumentRow.source, KnowledgeDocumentRow.document_id)
            )
            return [Entry.model_validate_json(text) for text in stored if text]
