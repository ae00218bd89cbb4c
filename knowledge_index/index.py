"""The knowledge index: passages of every entry, their vectors and a BM25 index, fused.

A directory holds one version: `manifest.json` (embedder, dimension, content hash, kind of
vector index), `entries.*` and `passages.*` (texts memory-mapped, see `columns`), `vectors.npy`
(every passage's vector, kept so that `update` re-embeds only what changed; searches read
the vector index's own copy, so its pages are not mapped in while serving), `vectors.faiss`
and `lexical.*`. `save` writes a new
version beside the served one and repoints a symbolic link in one atomic rename.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from bot.kernel.errors import IndexMismatch, NotReady
from bot.kernel.language import Language
from knowledge_index.columns import ENTRY_TYPES, Entries, Passage, Passages
from knowledge_index.documents import ANONYMOUS, Entry, EntryType, Reader, passages
from knowledge_index.embedders import Embedder, embed_documents
from knowledge_index.lexical import Grouping, LexicalIndex, LexicalMatch
from knowledge_index.query_shape import shape_of
from knowledge_index.rerank import DEPTH, Candidates, Reranker, default_reranker, depth_for
from knowledge_index.text import SPACES, STOP_WORDS
from knowledge_index.vectors import (
    APPROXIMATE_FROM,
    FaissIndex,
    build_vector_index,
    load_vector_index,
)

MANIFEST = "manifest.json"
# A crashed build's folder (no manifest) is removed once this old; a running one is younger.
ABANDONED_AFTER_S = 3600.0
FORMAT = 4
Progress = Callable[[int, int], None]
Floats = npt.NDArray[np.float32]

# A passage's score: its cosine with the query, raised by how much of the query it contains
# word for word (tuned on the labelled queries of `guichet eval search`).
LEXICAL_WEIGHT = 0.35
DENSE_DEPTH = 100
DENSE_WORDS = 48
LEXICAL_DEPTH = 100


class Manifest(BaseModel):
    embedder: str
    dimension: int
    content_hash: str
    entries: int
    passages: int
    built_at: datetime
    format: int = 1
    vector_index: str = "exact"
    embedded: int = Field(0, description="passages embedded by the build that wrote it")


@dataclass(frozen=True)
class SearchQuery:
    """One search, as every layer takes it and passes it along (the `KnowledgeBase`, the
    feedback and suggestion services, the index): a new search parameter goes here.

    `types` keeps those kinds of entries only (None: all); `boosts` are added to the score of
    groups that helped before (the feedback layer sets them); `type_shifts` to the score of
    kinds of entries (what the query asks for: a fix or a thing, see `query_shape`); a
    `complete` query is a finished question, otherwise its last word may be half-typed;
    `reader` is who searches: entries restricted to groups they are not in are left out.
    """

    text: str
    language: Language
    limit: int = 5
    types: Sequence[EntryType] | None = None
    boosts: Mapping[str, float] | None = None
    complete: bool = True
    type_shifts: Mapping[str, float] | None = None
    reader: Reader = ANONYMOUS


# What may follow a title in an article's first heading: "… – FAQ".
_TITLE_TAIL = re.compile(r"^\s*[–-]\s*FAQ\b")


class Hit(BaseModel):
    """An entry, the passage of it that matched, the fused score and the query's matched stems."""

    entry: Entry
    passage: str
    score: float
    passage_number: int = 0
    matched: list[str] = Field(default_factory=list)
    # The two signals fused into `score`, for the passage that matched: its cosine with the
    # query and how much of the query it covers word for word (the abstention model reads them).
    dense: float = 0.0
    lexical: float = 0.0
    # The re-ranker's score: the hits' order (`score` need not decrease down the list).
    relevance: float = 0.0
    # How much of the query the title of the entry shown covers, word for word and by meaning.
    title_coverage: float = 0.0
    title_cosine: float = 0.0
    # How much of the query the entry's passages cover together (each word its best match in
    # any of them, the tags included): the abstention model reads it of the first result.
    entry_coverage: float = 0.0

    def snippet(self, words: int = 40) -> str:
        """The passage's first words, without the entry's title it may begin with (an answer
        shows the title already)."""
        text = re.sub(r"[*_`>#|]", "", self.passage).strip()
        if text.startswith(self.entry.title):
            text = _TITLE_TAIL.sub("", text[len(self.entry.title) :]).strip() or text
        parts = SPACES.split(text)
        return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def content_hash(entries: Sequence[Entry], embedder: Embedder) -> str:
    """What an index was built from: the entries, the embedder, the format, and the stop words
    the lexical index leaves out (a new stop word rebuilds the words, the vectors reused)."""
    digest = hashlib.sha256(f"{embedder.name}:{embedder.dimension}:{FORMAT}".encode())
    digest.update(" ".join(sorted(STOP_WORDS)).encode())
    for entry in sorted(entries, key=lambda e: e.id):
        digest.update(entry.content_hash.encode())
    return digest.hexdigest()


def _rows(entries: Sequence[Entry]) -> list[Passage]:
    """Every chunk of every body, then each entry once more for its title alone."""
    chunks = [passages(entry) for entry in entries]
    rows = [Passage(i, text, n) for i, texts in enumerate(chunks) for n, text in enumerate(texts)]
    rows += [Passage(i, texts[0], 0) for i, texts in enumerate(chunks)]
    return rows


def _dense_text(entry: Entry, row: Passage, title_row: bool) -> str:
    """The title, or the title and the beginning of a chunk: the embedder's time grows with the
    length of a text (112 texts/s at 160 words, 880 at 20), while the search quality on the
    labelled queries does not (top-1 0.937 at 48 words, 0.932 whole); BM25 reads it all."""
    if title_row:
        return entry.title
    return f"{entry.title}. " + " ".join(row.text.split()[:DENSE_WORDS])


def _lexical_text(entry: Entry, row: Passage, title_row: bool) -> str:
    if title_row:
        return " ".join([entry.title, *entry.tags, entry.symptom or ""])
    return f"{entry.title} {row.text}"


@dataclass
class Reuse:
    """Vectors of a previous version, by entry id and content hash, for `update`."""

    rows: dict[tuple[str, str], Floats]

    @classmethod
    def from_index(cls, index: KnowledgeIndex) -> Reuse:
        order = np.argsort(index.passages.entry, kind="stable")
        bounds = np.searchsorted(index.passages.entry[order], np.arange(len(index.entries) + 1))
        return cls(
            {
                (entry.id, entry.content_hash): np.asarray(
                    index.vectors[np.sort(order[bounds[i] : bounds[i + 1]])]
                )
                for i, entry in enumerate(index.entries)
            }
        )


class KnowledgeIndex:
    def __init__(
        self,
        manifest: Manifest,
        entries: Entries,
        passage_table: Passages,
        vectors: Floats,
        dense: FaissIndex,
        lexical: LexicalIndex,
    ) -> None:
        self.manifest = manifest
        self.entries = entries
        self.passages = passage_table
        self.vectors = vectors
        self.dense = dense
        self.lexical = lexical
        # Each passage's group, for the coverage of a whole entry and the query's rivals.
        self.grouping = Grouping(
            np.asarray(entries.group, dtype=np.int32)[np.asarray(passage_table.entry)],
            len(entries.group_names),
        )
        # A translation's chunks, for hits found in the other language: split once, not per hit.
        self._chunks = lru_cache(maxsize=1024)(self._split)

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        entries: Sequence[Entry],
        embedder: Embedder,
        progress: Progress | None = None,
        batch: int = 64,
        reuse: Reuse | None = None,
        approximate_from: int = APPROXIMATE_FROM,
    ) -> KnowledgeIndex:
        """Embed every passage (or take its vector from `reuse` when the entry is unchanged)."""
        entries = list(entries)
        rows = _rows(entries)
        first_body_rows = len(rows) - len(entries)
        vectors = np.zeros((len(rows), embedder.dimension), dtype=np.float32)
        todo: list[int] = []
        by_entry: dict[int, list[int]] = {}
        for row, passage in enumerate(rows):
            by_entry.setdefault(passage.entry, []).append(row)
        for i, entry in enumerate(entries):
            old = reuse.rows.get((entry.id, entry.content_hash)) if reuse else None
            mine = by_entry[i]
            if old is not None and len(old) == len(mine):
                vectors[mine] = old
            else:
                todo.extend(mine)
        todo.sort()
        for start in range(0, len(todo), batch):
            chunk = todo[start : start + batch]
            texts = [
                _dense_text(entries[rows[r].entry], rows[r], r >= first_body_rows) for r in chunk
            ]
            vectors[chunk] = embed_documents(embedder, texts)
            if progress:
                progress(min(start + batch, len(todo)), len(todo))
        if progress and not todo:
            progress(0, 0)
        lexical = LexicalIndex.build(
            [_lexical_text(entries[p.entry], p, r >= first_body_rows) for r, p in enumerate(rows)],
            [entries[p.entry].language for p in rows],
        )
        dense = build_vector_index(vectors, approximate_from)
        manifest = Manifest(
            embedder=embedder.name,
            dimension=embedder.dimension,
            content_hash=content_hash(entries, embedder),
            entries=len(entries),
            passages=len(rows),
            built_at=datetime.now(UTC),
            format=FORMAT,
            vector_index=dense.kind,
            embedded=len(todo),
        )
        return cls(manifest, Entries.of(entries), Passages.of(rows), vectors, dense, lexical)

    def save(self, directory: Path) -> None:
        """Write a new version beside the served one, then repoint `directory` at it.

        `directory` is a symbolic link replaced in one atomic rename, so a reader sees either
        the old index or the new one, never a half-written one.
        """
        directory.parent.mkdir(parents=True, exist_ok=True)
        version = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
        self.dense.save(version / "vectors.faiss")
        np.save(version / "vectors.npy", self.vectors)
        self.lexical.save(version)
        self.entries.save(version)
        self.passages.save(version)
        (version / MANIFEST).write_text(self.manifest.model_dump_json(indent=2), encoding="utf-8")
        previous = directory.resolve() if directory.is_symlink() else None
        if directory.exists() and not directory.is_symlink():
            shutil.rmtree(directory)  # an index written by hand or by an older release
        link = directory.with_name(f".{directory.name}.link")
        link.unlink(missing_ok=True)
        link.symlink_to(version.name)
        link.replace(directory)
        _prune(directory, keep={version, previous})

    @staticmethod
    def read_manifest(directory: Path) -> Manifest | None:
        path = directory / MANIFEST
        try:
            return Manifest.model_validate_json(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> KnowledgeIndex:
        manifest = cls.read_manifest(directory)
        if manifest is None:
            raise NotReady(
                component="knowledge index",
                reason=f"nothing readable at {directory}; run `guichet index build`",
            )
        if (manifest.embedder, manifest.dimension) != (embedder.name, embedder.dimension):
            raise IndexMismatch(
                built_with=f"{manifest.embedder} ({manifest.dimension})",
                configured=f"{embedder.name} ({embedder.dimension})",
            )
        if manifest.format != FORMAT:
            raise NotReady(
                component="knowledge index",
                reason=f"{directory} was written by an older release; "
                "run `guichet index build --force`",
            )
        try:
            entries = Entries.load(directory)
            rows = Passages.load(directory)
            vectors = np.load(directory / "vectors.npy", mmap_mode="r")
            dense = load_vector_index(directory / "vectors.faiss", manifest.vector_index)
            lexical = LexicalIndex.load(directory)
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise NotReady(
                component="knowledge index",
                reason=f"{directory} is damaged ({type(exc).__name__}: {exc}); "
                "run `guichet index build --force`",
            ) from exc
        if dense.size != len(rows) or len(vectors) != len(rows):
            raise NotReady(
                component="knowledge index",
                reason=f"{directory} is damaged (vectors and passages differ); "
                "run `guichet index build --force`",
            )
        return cls(manifest, entries, rows, vectors, dense, lexical)

    # -- searching --------------------------------------------------------------------------

    def search(
        self,
        query: SearchQuery,
        vector: Floats | None,
        *,
        lexical: LexicalMatch | None = None,
        reranker: Reranker | None = None,
    ) -> list[Hit]:
        """Best entries for a query, one per group, in the user's language when it exists.

        `vector` is the query's embedding (None: words only); `lexical` its word matches,
        when the caller has them already. The first `rerank.depth_for(language, text)` entries in
        fused order are put in the order of `reranker` (the shipped model unless given);
        `score` stays the fused score, `relevance` is the re-ranker's.
        """
        if not self.passages:
            return []
        lexical = lexical or self.match(query)
        found = self.candidates(query, vector, lexical=lexical, depth=query.limit)
        if found is None:
            return []
        rows, candidates, matched = found
        relevance = (reranker or default_reranker()).scores(candidates, shape_of(query.text))
        # The first `depth` in the re-ranker's order, the others after them as they were: the
        # entries shown among the first `depth` stay those of the fused order.
        depth = depth_for(query.language, query.text)
        order = np.concatenate(
            [np.argsort(-relevance[:depth], kind="stable"), np.arange(depth, len(rows))]
        )[: query.limit]
        hidden = self.entries.hidden_from(query.reader)
        return [
            self._hit(
                rows[i],
                float(candidates.fused[i]),
                query.language,
                matched,
                signals=(float(candidates.dense[i]), float(candidates.lexical[i])),
                hidden=hidden,
                relevance=float(relevance[i]),
                title=(float(candidates.title_coverage[i]), float(candidates.title_cosine[i])),
                entry_coverage=self._entry_coverage(lexical, rows[i]),
            )
            for i in order
        ]

    def match(self, query: SearchQuery, *, cue_importance: float = 1.0) -> LexicalMatch:
        """The query's word matches, with each group's coverage and the query's rivals; cues
        of what is asked count `cue_importance` of their weight (`LexicalIndex.slots`)."""
        return self.lexical.match(
            query.text,
            complete=query.complete,
            grouping=self.grouping,
            cue_importance=cue_importance,
        )

    def _entry_coverage(self, match: LexicalMatch, row: int) -> float:
        if match.group_coverage is None:
            return 0.0
        return float(match.group_coverage[self.grouping.of_row[row]])

    def candidates(
        self,
        query: SearchQuery,
        vector: Floats | None,
        *,
        lexical: LexicalMatch | None = None,
        depth: int = DEPTH,
    ) -> tuple[list[int], Candidates, list[str]] | None:
        """The best passage of each of the first `depth` groups in fused order, the signals
        the re-ranker reads of them, and the query's matched stems; None on an empty index."""
        if not self.passages:
            return None
        dense_ids: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        dense_scores: npt.NDArray[np.float64] = np.zeros(0, dtype=np.float64)
        if vector is not None:
            scores, ids = self.dense.search(vector, min(len(self.passages), DENSE_DEPTH))
            valid = ids >= 0
            dense_ids, dense_scores = ids[valid].astype(np.int64), scores[valid].astype(np.float64)
        floor = float(dense_scores.min()) if len(dense_scores) else 0.0
        match = lexical or self.match(query)
        coverage = match.coverage
        top = min(LEXICAL_DEPTH, int(np.count_nonzero(coverage)))
        lexical_ids = np.argpartition(-coverage, top - 1)[:top] if top else np.array([], int)
        # Equal scores (words alone: two letters typed) rank in the order this set is met,
        # which depends on how it was built: built as it always was, ranked as before.
        candidates = set(dict.fromkeys(dense_ids.tolist())) | set(lexical_ids.tolist())
        hidden = self.entries.hidden_from(query.reader)
        scored = self._scored(
            np.fromiter(candidates, dtype=np.int64, count=len(candidates)),
            query,
            hidden,
            (dense_ids, dense_scores, floor),
            coverage,
            depth,
        )
        rows = [row for row, _, _ in scored]
        # The title row of the entry shown (in the query's language when it exists); its
        # vector read from the vector index, which holds every row already (`vectors.npy`'s
        # title rows, 200 MB at 100,000 entries, stayed mapped in).
        first_title = len(self.passages) - len(self.entries)
        shown = [self._shown(int(self.passages.entry[row]), query.language, hidden) for row in rows]
        title_rows = np.asarray([first_title + number for number in shown], dtype=np.int64)
        title_cosine = (
            self.dense.stored(title_rows) @ vector
            if vector is not None and rows
            else np.zeros(len(rows))
        )
        found = Candidates(
            fused=np.asarray([score for _, score, _ in scored], dtype=np.float64),
            dense=np.asarray([signals[0] for _, _, signals in scored], dtype=np.float64),
            lexical=np.asarray([signals[1] for _, _, signals in scored], dtype=np.float64),
            title_coverage=np.asarray(coverage[title_rows], dtype=np.float64),
            title_cosine=np.asarray(title_cosine, dtype=np.float64).reshape(len(rows)),
            types=[self.entries.type_of(number) for number in shown],
            groups=[self.entries.group_of(number) for number in shown],
        )
        return rows, found, sorted(match.stems)

    def _shown(self, number: int, language: Language, hidden: npt.NDArray[np.bool_] | None) -> int:
        """The entry shown for entry `number`: its translation in `language` when readable."""
        twin = self.entries.in_language(number, language)
        return number if twin is None or (hidden is not None and hidden[twin]) else twin

    def _scored(
        self,
        rows: npt.NDArray[np.int64],
        query: SearchQuery,
        hidden: npt.NDArray[np.bool_] | None,
        dense: tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], float],
        coverage: Floats,
        limit: int,
    ) -> list[tuple[int, float, tuple[float, float]]]:
        """The best passage of each group among the candidate `rows`, best first, at most
        `limit`: (row, fused score, its cosine and word coverage). The filters and the
        scores are array operations (the same float operations as one passage at a time)."""
        numbers = self.passages.entry[rows]
        kinds = self.entries.kind[numbers]
        if query.types:
            rows, numbers, kinds = self._kept(
                rows, numbers, kinds, self.entries.of_kinds(query.types)[kinds]
            )
        if hidden is not None:
            rows, numbers, kinds = self._kept(rows, numbers, kinds, ~hidden[numbers])
        dense_ids, dense_scores, floor = dense
        cosine = np.full(len(rows), floor, dtype=np.float64)
        if len(dense_ids) and len(rows):
            order = np.argsort(dense_ids)
            known = dense_ids[order]
            slot = np.minimum(np.searchsorted(known, rows), len(known) - 1)
            found = known[slot] == rows
            cosine[found] = dense_scores[order][slot[found]]
        words = coverage[rows].astype(np.float64)
        scores = (1 - LEXICAL_WEIGHT) * cosine + LEXICAL_WEIGHT * words
        if shifts := query.type_shifts:
            scores += np.array([shifts.get(kind, 0.0) for kind in ENTRY_TYPES])[kinds]
        best: dict[int, tuple[float, int]] = {}
        for at, (group, score) in enumerate(
            zip(self.entries.group[numbers].tolist(), scores.tolist(), strict=True)
        ):
            current = best.get(group)
            if current is None or score > current[0]:
                best[group] = (score, at)
        if boosts := query.boosts:
            names = self.entries.group_names
            best = {g: (s + boosts.get(names[g], 0.0), at) for g, (s, at) in best.items()}
        ranked = sorted(best.values(), key=lambda sa: sa[0], reverse=True)[:limit]
        return [
            (int(rows[at]), score, (float(cosine[at]), float(words[at]))) for score, at in ranked
        ]

    @staticmethod
    def _kept(
        rows: npt.NDArray[np.int64],
        numbers: npt.NDArray[np.int32],
        kinds: npt.NDArray[np.int8],
        keep: npt.NDArray[np.bool_],
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.int8]]:
        if keep.all():
            return rows, numbers, kinds
        return rows[keep], numbers[keep], kinds[keep]

    def _hit(
        self,
        row: int,
        score: float,
        language: Language,
        matched: list[str],
        *,
        signals: tuple[float, float] = (0.0, 0.0),
        hidden: npt.NDArray[np.bool_] | None = None,
        relevance: float = 0.0,
        title: tuple[float, float] = (0.0, 0.0),
        entry_coverage: float = 0.0,
    ) -> Hit:
        passage = self.passages[row]
        dense, lexical = signals
        title_coverage, title_cosine = title
        entry = self.entries[passage.entry]
        if entry.language != language:
            twin = self.entries.in_language(passage.entry, language)
            if twin is not None and not (hidden is not None and hidden[twin]):
                entry = self.entries[twin]
                # the twin's passage of the same rank, when it has as many
                chunks = self._chunks(twin)
                number = min(passage.number, len(chunks) - 1)
                return Hit.model_construct(
                    entry=entry,
                    passage=chunks[number],
                    score=score,
                    passage_number=number,
                    matched=list(matched),
                    dense=dense,
                    lexical=lexical,
                    relevance=relevance,
                    title_coverage=title_coverage,
                    title_cosine=title_cosine,
                    entry_coverage=entry_coverage,
                )
        # built from checked parts: pydantic's validation of every field is skipped (8 hits
        # a keystroke)
        return Hit.model_construct(
            entry=entry,
            passage=passage.text,
            score=score,
            passage_number=passage.number,
            matched=list(matched),
            dense=dense,
            lexical=lexical,
            relevance=relevance,
            title_coverage=title_coverage,
            title_cosine=title_cosine,
            entry_coverage=entry_coverage,
        )

    def _split(self, number: int) -> tuple[str, ...]:
        return tuple(passages(self.entries[number]))

    def by_id(self, entry_id: str) -> Entry | None:
        found = self.entries.index_of(entry_id)
        return self.entries[found] if found is not None else None

    def entry(self, group: str, language: Language) -> Entry | None:
        found = self.entries.of_group(group, language)
        return self.entries[found] if found is not None else None


def _prune(directory: Path, *, keep: set[Path | None]) -> None:
    """Remove the versions older than the previous one, and builds abandoned long ago.

    The previous version stays: other processes, perhaps on other machines reading the same
    shared folder, serve it until they notice the new one.
    """
    kept = {path.resolve() for path in keep if path is not None}
    for version in directory.parent.glob(f".{directory.name}-*"):
        if version.resolve() in kept or not version.is_dir():
            continue
        finished = (version / MANIFEST).exists()
        if finished or time.time() - version.stat().st_mtime > ABANDONED_AFTER_S:
            shutil.rmtree(version, ignore_errors=True)
