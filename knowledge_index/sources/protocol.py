"""The `KnowledgeSource` plug-in point: a place documents live, read incrementally.

A source says what changed since a cursor it handed out before (None: since the beginning):
the documents created or changed, the ids of those deleted, and the cursor to pass next time.
Cursors are the source's own opaque strings (a time, a map of file hashes); Guichet stores them
and never looks inside. A source that cannot be reached raises `SourceUnavailable`: the
documents synced before keep serving.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from bot.kernel.errors import GuichetError
from bot.kernel.language import Language
from bot.settings.sources import SourceSettings
from knowledge_index.documents import EntryType

DetectLanguage = Callable[[str], Language]


class SourceUnavailable(GuichetError):
    """The source did not answer, or refused Guichet's credentials: nothing is changed."""

    message = "knowledge source {source}: {problem}"


@dataclass(frozen=True)
class SourceDocument:
    """One document as its source gives it.

    `id` is stable and prefixed by the source's name (`request_tracker:12`); `pair` ties the
    translations of one document when the source links them; `groups` may read it (empty:
    everyone); `url` opens it at the source; `language` None: detected from the text.
    """

    id: str
    title: str
    body: str
    url: str
    language: Language | None = None
    pair: str | None = None
    groups: tuple[str, ...] = ()
    updated: datetime | None = None
    type: EntryType = "procedure"
    category: str = ""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceChanges:
    """Created or changed documents, deleted ids, and the cursor for the next call."""

    documents: Sequence[SourceDocument]
    deleted: Sequence[str]
    cursor: str | None


@dataclass(frozen=True)
class SourceHealth:
    ok: bool
    detail: str


class KnowledgeSource(Protocol):
    """A place documents live (a folder, Request Tracker's articles, a wiki).

    `changes(since)` returns what changed after the cursor `since` (None: every document, as
    created); it may return a document that did not change (the sync compares contents).
    It raises `SourceUnavailable` when the source cannot be read; `health` says so without
    raising. `stores_documents` is false for a source that is its own store (the folder: the
    index reads it directly), true when Guichet keeps a copy of the documents.
    """

    name: str
    stores_documents: bool

    async def changes(self, since: str | None) -> SourceChanges: ...

    async def health(self) -> SourceHealth: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class SourceContext:
    """What a source's factory is given: the sources' settings and the knowledge-base folder."""

    settings: SourceSettings
    kb_dir: Path
