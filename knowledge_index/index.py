"""A faiss index over passages of knowledge-base entries, built aside and swapped atomically."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np
from pydantic import BaseModel

from bot.errors import IndexMismatch, NotReady
from bot.settings import Language
from knowledge_index.documents import Entry, EntryType, passages
from knowledge_index.embedders import Embedder

MANIFEST = "manifest.json"
Progress = Callable[[int, int], None]


class Manifest(BaseModel):
    embedder: str
    dimension: int
    content_hash: str
    entries: int
    passages: int
    built_at: datetime


class Passage(BaseModel):
    entry: int
    text: str


class Hit(BaseModel):
    entry: Entry
    passage: str
    score: float

    def snippet(self, words: int = 40) -> str:
        parts = re.sub(r"[*_`>#|]", "", self.passage).split()
        return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def content_hash(entries: Sequence[Entry], embedder: Embedder) -> str:
    digest = hashlib.sha256(f"{embedder.name}:{embedder.dimension}".encode())
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(entry.content_hash.encode())
    return digest.hexdigest()


class KnowledgeIndex:
    """Passages of every entry, their vectors in faiss, and a manifest naming the embedder."""

    def __init__(
        self,
        manifest: Manifest,
        entries: list[Entry],
        passage_list: list[Passage],
        vectors: faiss.Index,
    ) -> None:
        self.manifest = manifest
        self.entries = entries
        self.passages = passage_list
        self._faiss = vectors

    @classmethod
    def build(
        cls,
        entries: Sequence[Entry],
        embedder: Embedder,
        progress: Progress | None = None,
        batch: int = 64,
    ) -> KnowledgeIndex:
        passage_list = [
            Passage(entry=i, text=text)
            for i, entry in enumerate(entries)
            for text in passages(entry)
        ]
        texts = [f"{entries[p.entry].title}. {p.text}" for p in passage_list]
        texts += [entry.title for entry in entries]  # the title alone is a strong signal
        passage_list += [Passage(entry=i, text=passages(e)[0]) for i, e in enumerate(entries)]
        vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
        for start in range(0, len(texts), batch):
            vectors[start : start + batch] = embedder.embed(texts[start : start + batch])
            if progress:
                progress(min(start + batch, len(texts)), len(texts))
        index = faiss.IndexFlatIP(embedder.dimension)
        index.add(vectors)
        manifest = Manifest(
            embedder=embedder.name,
            dimension=embedder.dimension,
            content_hash=content_hash(entries, embedder),
            entries=len(entries),
            passages=len(passage_list),
            built_at=datetime.now(UTC),
        )
        return cls(manifest, list(entries), passage_list, index)

    def save(self, directory: Path) -> None:
        """Write a new version beside the served one, then repoint `directory` at it.

        `directory` is a symbolic link replaced in one atomic rename, so a reader sees either
        the old index or the new one, never a half-written one.
        """
        directory.parent.mkdir(parents=True, exist_ok=True)
        version = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        faiss.write_index(self._faiss, str(version / "vectors.faiss"))
        (version / "entries.json").write_text(
            json.dumps([e.model_dump(mode="json") for e in self.entries]), encoding="utf-8"
        )
        (version / "passages.json").write_text(
            json.dumps([p.model_dump() for p in self.passages]), encoding="utf-8"
        )
        (version / MANIFEST).write_text(self.manifest.model_dump_json(indent=2), encoding="utf-8")
        previous = directory.resolve() if directory.is_symlink() else None
        if directory.exists() and not directory.is_symlink():
            shutil.rmtree(directory)  # an index written by hand or by an older release
        link = directory.with_name(f".{directory.name}.link")
        link.unlink(missing_ok=True)
        link.symlink_to(version.name)
        link.replace(directory)
        if previous is not None and previous != version:
            shutil.rmtree(previous, ignore_errors=True)

    @staticmethod
    def read_manifest(directory: Path) -> Manifest | None:
        path = directory / MANIFEST
        return Manifest.model_validate_json(path.read_text("utf-8")) if path.exists() else None

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> KnowledgeIndex:
        manifest = cls.read_manifest(directory)
        if manifest is None:
            raise NotReady(
                component="knowledge index",
                reason=f"nothing at {directory}; run `guichet index build`",
            )
        if (manifest.embedder, manifest.dimension) != (embedder.name, embedder.dimension):
            raise IndexMismatch(
                built_with=f"{manifest.embedder} ({manifest.dimension})",
                configured=f"{embedder.name} ({embedder.dimension})",
            )
        entries = [
            Entry.model_validate(e)
            for e in json.loads((directory / "entries.json").read_text("utf-8"))
        ]
        passage_list = [
            Passage.model_validate(p)
            for p in json.loads((directory / "passages.json").read_text("utf-8"))
        ]
        return cls(
            manifest, entries, passage_list, faiss.read_index(str(directory / "vectors.faiss"))
        )

    def search_vector(
        self,
        query: np.ndarray,
        *,
        language: Language,
        limit: int = 5,
        types: Sequence[EntryType] | None = None,
    ) -> list[Hit]:
        """Best entries for a query vector, one per group, in the user's language if it exists."""
        depth = min(len(self.passages), max(limit * 12, 60))
        scores, ids = self._faiss.search(query.reshape(1, -1).astype(np.float32), depth)
        best: dict[str, Hit] = {}
        for score, pid in zip(scores[0], ids[0], strict=True):
            if pid < 0:
                continue
            passage = self.passages[pid]
            entry = self.entries[passage.entry]
            if types and entry.type not in types:
                continue
            hit = Hit(entry=entry, passage=passage.text, score=float(score))
            current = best.get(entry.group)
            if current is None or hit.score > current.score:
                best[entry.group] = hit
        ranked = sorted(best.values(), key=lambda h: h.score, reverse=True)[:limit]
        return [self._in_language(hit, language) for hit in ranked]

    def _in_language(self, hit: Hit, language: Language) -> Hit:
        if hit.entry.language == language:
            return hit
        twin = next(
            (e for e in self.entries if e.group == hit.entry.group and e.language == language), None
        )
        if twin is None:
            return hit
        return Hit(entry=twin, passage=passages(twin)[0], score=hit.score)
