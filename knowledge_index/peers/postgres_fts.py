"""PostgreSQL full-text search: per-language text search configuration, `unaccent`, the
query's words OR-ed, ranked by `ts_rank` — what a team with a PostgreSQL would build first.

The entries go into a temporary schema of the given database, dropped by `close`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

import psycopg
from psycopg import sql

from bot.kernel.language import Language
from knowledge_index.documents import Entry
from knowledge_index.peers.base import (
    PeerOptions,
    PeerUnavailable,
    Ranked,
    best_per_group,
    documents_per_language,
    entry_text,
)

CONFIGS: dict[Language, str] = {"en": "english", "fr": "french"}
_WORD = re.compile(r"\w+")


def or_query(text: str) -> str:
    """The query's words joined by "or", for `websearch_to_tsquery` (which drops stop words)."""
    return " or ".join(_WORD.findall(text))


class PostgresFullText:
    """The `SearchPeer` of PostgreSQL full-text search."""

    name = "postgres-fts"

    def __init__(self, options: PeerOptions) -> None:
        self._url = options.postgres_url
        self._schema = f"guichet_eval_{uuid.uuid4().hex[:10]}"
        self._connection: psycopg.AsyncConnection[tuple[object, ...]] | None = None
        self.unaccent = False

    async def load(self, entries: Sequence[Entry]) -> None:
        try:
            self._connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True)
        except psycopg.Error as exc:
            raise PeerUnavailable(peer=self.name, reason=str(exc).strip()) from exc
        db = self._connection
        try:
            await db.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            self.unaccent = True
        except psycopg.Error:
            # Not allowed for this role: without it, accents must match exactly.
            self.unaccent = False
        schema = sql.Identifier(self._schema)
        await db.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
        await db.execute(
            sql.SQL(
                "CREATE TABLE {}.documents (language text NOT NULL, grp text NOT NULL, "
                "document tsvector NOT NULL)"
            ).format(schema)
        )
        insert = sql.SQL(
            "INSERT INTO {}.documents VALUES (%s, %s, to_tsvector(%s::regconfig, {}))"
        ).format(schema, self._folded(sql.Placeholder()))
        async with db.cursor() as cursor:
            rows = [
                (language, entry.group, CONFIGS[language], entry_text(entry))
                for language, documents in documents_per_language(entries).items()
                for entry in documents
            ]
            await cursor.executemany(insert, rows)
        await db.execute(
            sql.SQL("CREATE INDEX ON {}.documents USING gin (document)").format(schema)
        )
        await db.execute(sql.SQL("ANALYZE {}.documents").format(schema))

    def _folded(self, value: sql.Composable) -> sql.Composable:
        return sql.SQL("unaccent({})").format(value) if self.unaccent else value

    async def search(self, text: str, language: Language, *, limit: int) -> list[Ranked]:
        if self._connection is None:
            raise PeerUnavailable(peer=self.name, reason="search before load")
        words = or_query(text)
        if not words:
            return []
        query = sql.SQL(
            "SELECT grp, ts_rank(document, query) AS rank "
            "FROM {}.documents, websearch_to_tsquery(%s::regconfig, {}) AS query "
            "WHERE language = %s AND document @@ query ORDER BY rank DESC, grp LIMIT %s"
        ).format(sql.Identifier(self._schema), self._folded(sql.Placeholder()))
        cursor = await self._connection.execute(
            query, (CONFIGS[language], words, language, limit * 3)
        )
        found = [Ranked(str(group), float(str(rank))) for group, rank in await cursor.fetchall()]
        return best_per_group(found, limit)

    async def close(self) -> None:
        if self._connection is None:
            return
        await self._connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self._schema))
        )
        await self._connection.close()
        self._connection = None
