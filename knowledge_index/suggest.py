"""Suggestions as you type, and full search, over the index, active notices and feedback.

Suggestions come best first after the matching active incident notices, whatever their type:
grouping by type put a catalog item that merely shares a word before the known error that
answers (on the real-text set, recall@5 0.72 grouped and cut, 0.83 in score order). What is
shown and how sure we are are separate: every entry above `suggest_threshold` (nothing in common
below it) is shown, and `confident` says whether the best one answers. Two entries always close
the list: "create a ticket with this text" and "chat with an agent".
"""

from __future__ import annotations

import html
import json
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, NamedTuple

import numpy as np
from pydantic import BaseModel, Field

from bot.kernel.errors import InvalidRequest
from bot.kernel.feedback import SearchFeedback, Signals
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.links import safe_link
from bot.kernel.notices import ActiveNotices, Notice, window_text
from knowledge_index.abstention import Sureness
from knowledge_index.documents import ANONYMOUS, EntryType, Reader
from knowledge_index.embedders import Embedder, Vectors
from knowledge_index.feedback import boosts, query_key
from knowledge_index.highlight import Matcher, highlight, snippet
from knowledge_index.index import LEXICAL_WEIGHT, Hit, SearchQuery
from knowledge_index.lexical import LexicalIndex
from knowledge_index.service import IndexedKnowledgeBase
from knowledge_index.text import LANGUAGES, query_words
from knowledge_index.text import words as folded_words

MIN_CHARACTERS = 2
MAX_SUGGEST_CHARACTERS = 200
MAX_SEARCH_CHARACTERS = 1000
NOTICE_THRESHOLD = 0.4
# A word typed is one of a notice's tags (the service it is about): "vpn ne marche pas"
# scores 0.35 against "VPN down in Lyon" on meaning and words alone.
NOTICE_TAG_BONUS = 0.15
RESULT_CACHE = 4096
SUGGESTABLE: tuple[EntryType, ...] = ("action", "catalog_item", "procedure", "faq", "known_error")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

SuggestionType = Literal[
    "incident_notice",
    "maintenance_notice",
    "action",
    "catalog_item",
    "procedure",
    "faq",
    "known_error",
    "create_ticket",
    "chat_agent",
]


class Suggestion(BaseModel):
    type: SuggestionType
    id: str
    group: str | None = Field(None, description="ties translations; send it back on a click")
    title: str
    title_html: str = Field(description="the title, HTML-escaped, matched words in <mark>")
    snippet: str = Field(description="an extract, HTML-escaped, matched words in <mark>")
    url: str | None = None
    action: str | None = Field(None, description="chat payload that does it, for actions")
    score: float


class Suggestions(BaseModel):
    query: str
    language: Language
    suggestions: list[Suggestion]
    index_ready: bool = True
    confident: bool = Field(
        False, description="the first entry suggested answers what is typed; false: not sure"
    )
    confidence: float = Field(0.0, description="the probability that the first entry answers")


class SearchResult(BaseModel):
    type: str
    id: str
    group: str
    language: Language
    title: str
    title_html: str
    snippet: str
    url: str | None
    action: str | None = None
    category: str
    tags: list[str]
    updated: str | None = None
    symptom: str | None = None
    cause: str | None = None
    workaround: str | None = None
    passage: int
    score: float


class SearchResults(BaseModel):
    query: str
    language: Language
    confident: bool = Field(description="the best result is good enough to be given as the answer")
    confidence: float = Field(0.0, description="the probability that the best result answers")
    results: list[SearchResult]


class Encoded(NamedTuple):
    """Suggestions as the API sends them, JSON bytes (kept in the cache as such: bytes are
    nothing for the garbage collector to walk, pydantic objects were), with what the
    counters need to know of them."""

    body: bytes
    shown: bool  # at least one suggestion
    confident: bool

    @classmethod
    def of(cls, suggestions: Suggestions) -> Encoded:
        return cls(
            suggestions.model_dump_json().encode(),
            bool(suggestions.suggestions),
            suggestions.confident,
        )

    def decoded(self) -> Suggestions:
        return Suggestions.model_validate_json(self.body)


def clean(query: str, *, limit: int) -> str:
    """Control characters become spaces; too long a query is refused."""
    if len(query) > limit:
        raise InvalidRequest(field="q", problem=f"at most {limit} characters")
    return _CONTROL.sub(" ", query)


@dataclass
class _NoticeIndex:
    key: tuple[tuple[int, str], ...]
    notices: list[Notice]
    languages: list[Language]
    lexical: LexicalIndex
    vectors: Vectors


class NoticeMatcher:
    """Active notices as a tiny index of their own, rebuilt when the notices change."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._index: _NoticeIndex | None = None

    def _build(self, notices: list[Notice]) -> _NoticeIndex:
        key = tuple((n.id, n.updated_at.isoformat()) for n in notices)
        if self._index is not None and self._index.key == key:
            return self._index
        languages: list[Language] = []
        texts: list[str] = []
        for notice in notices:
            for language in LANGUAGES:
                languages.append(language)
                title = notice.title(language)
                texts.append(" ".join([title, title, *notice.tags, notice.body(language)]))
        vectors = self._embedder.embed(texts) if texts else np.zeros((0, 1), np.float32)
        self._index = _NoticeIndex(
            key, notices, languages, LexicalIndex.build(texts, languages), vectors
        )
        return self._index

    def match(
        self, query: str, vector: Vectors | None, notices: list[Notice]
    ) -> list[tuple[Notice, float, set[str]]]:
        if not notices:
            return []
        index = self._build(notices)
        words = index.lexical.match(query)
        cosine = index.vectors @ vector if vector is not None else np.zeros(len(index.languages))
        best: dict[int, float] = {}
        typed = set(folded_words(query))
        for row, notice in enumerate(n for n in index.notices for _ in range(2)):
            score = (1 - LEXICAL_WEIGHT) * float(cosine[row]) + LEXICAL_WEIGHT * float(
                words.coverage[row]
            )
            if typed & set(folded_words(" ".join(notice.tags))):
                score += NOTICE_TAG_BONUS
            best[notice.id] = max(best.get(notice.id, -1.0), score)
        return [
            (n, best[n.id], words.stems) for n in index.notices if best[n.id] >= NOTICE_THRESHOLD
        ]


class SuggestionService:
    def __init__(
        self,
        knowledge: IndexedKnowledgeBase,
        notices: ActiveNotices,
        feedback: SearchFeedback,
        *,
        suggest_threshold: float,
        sureness: Sureness,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        default_zone: str = "UTC",
    ) -> None:
        # A maintenance notice says when, in the reader's zone (else `default_zone`).
        self.clock = clock
        self.default_zone = default_zone
        self.knowledge = knowledge
        self.notices = notices
        self.feedback = feedback
        self.suggest_threshold = suggest_threshold
        self.sureness = sureness
        self._notice_matcher = NoticeMatcher(knowledge.embedder)
        # (what was typed, language, limit, the reader's audience, zone) -> the answer; every
        # entry of one generation (index, feedback, notices): a new one empties it
        self._cache: OrderedDict[
            tuple[str, str, int, tuple[bool, tuple[str, ...]] | None, str], Encoded
        ]
        self._cache = OrderedDict()
        self._generation: tuple[object, ...] = (None, None, None)  # none yet

    async def suggest(
        self,
        query: str,
        *,
        language: Language,
        limit: int = 8,
        reader: Reader = ANONYMOUS,
        zone: str | None = None,
    ) -> Suggestions:
        found = await self.suggest_encoded(
            query, language=language, limit=limit, reader=reader, zone=zone
        )
        return found.decoded()

    async def suggest_encoded(
        self,
        query: str,
        *,
        language: Language,
        limit: int = 8,
        reader: Reader = ANONYMOUS,
        zone: str | None = None,
    ) -> Encoded:
        """The suggestions as JSON bytes, ready to send (what `suggest` gives, encoded)."""
        text = clean(query, limit=MAX_SUGGEST_CHARACTERS)
        if len(text.strip()) < MIN_CHARACTERS or not query_words(text)[0]:
            return Encoded.of(Suggestions(query=query, language=language, suggestions=[]))
        signals, active = await self.feedback.signals(), await self.notices.active()
        # What everyone types first ("vp", "mot de p") comes back all day: keep the answers
        # until the index, the feedback or the notices change (per audience only when the
        # index restricts some entries).
        index = self.knowledge.index
        generation = (index, signals, active)
        if not _same(self._generation, generation):
            self._cache.clear()
            self._generation = generation
        restricted = index is not None and len(index.entries.restricted)
        who = (reader.agent, tuple(sorted(reader.groups))) if restricted else None
        where = zone or self.default_zone
        key = (query, language, limit, who, where)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        result = await self._suggest(text, language, limit, signals, active, reader, where)
        found = Encoded.of(result.model_copy(update={"query": query}))
        # Not kept if another request found the index, feedback or notices changed while
        # this one waited for its embedding: it was read before the change.
        if _same(self._generation, generation):
            self._cache[key] = found
            if len(self._cache) > RESULT_CACHE:
                self._cache.popitem(last=False)
        return found

    async def _suggest(
        self,
        text: str,
        language: Language,
        limit: int,
        signals: Signals,
        active: list[Notice],
        reader: Reader,
        where: str = "UTC",
    ) -> Suggestions:
        key = query_key(text)
        typed, typing = query_words(text)
        prefix = typed[-1] if typing and typed else None
        items: list[Suggestion] = []
        confident, confidence = False, 0.0
        ready = self.knowledge.ready
        vector = None
        if ready:
            # with the embeddings of the keystrokes that came with it (`find`)
            found = await self.knowledge.find(
                SearchQuery(
                    text,
                    language,
                    limit=limit,
                    types=SUGGESTABLE,
                    boosts=boosts(signals, key),
                    complete=False,
                    reader=reader,
                )
            )
            vector = found.vector
            shown = [h for h in found.hits if h.score >= self.suggest_threshold]
            # Every hit carries the query's matched stems: one matcher for all of them.
            matcher = Matcher(shown[0].matched, prefix) if shown else None
            items = [self._entry_suggestion(h, prefix, matcher) for h in shown]
            verdict = self.sureness.judge(found.evidence.hits, found.evidence.match)
            confidence, confident = verdict.confidence, verdict.sure and bool(shown)
        found_notices = self._notice_matcher.match(text, vector, active) if active else []
        now = self.clock()
        notices = [
            self._notice_suggestion(n, score, stems, language, prefix, where, now)
            for n, score, stems in sorted(found_notices, key=lambda f: -f[1])
        ]
        ranked = notices + items
        return Suggestions(
            query=text,
            language=language,
            suggestions=ranked[:limit] + self._fallbacks(text.strip(), language),
            index_ready=ready,
            confident=confident,
            confidence=round(confidence, 4),
        )

    async def search(self, query: SearchQuery) -> SearchResults:
        """Full results best first, those with nothing in common with the query left out;
        `confident` says whether the first one answers it."""
        language = query.language
        text = clean(query.text, limit=MAX_SEARCH_CHARACTERS).strip()
        if not query_words(text)[0]:
            return SearchResults(query=query.text, language=language, confident=False, results=[])
        key = query_key(text)
        found = await self.knowledge.find(
            replace(query, text=text, boosts=boosts(await self.feedback.signals(), key))
        )
        hits = [h for h in found.hits if h.score >= self.suggest_threshold]
        best = found.hits[0].score if found.hits else 0.0
        verdict = self.sureness.judge(found.evidence.hits, found.evidence.match)
        confidence, confident = verdict.confidence, verdict.sure and bool(hits)
        if not confident:
            await self.feedback.record_gap(
                query_key=key, query=text, language=language, best_score=best
            )
        return SearchResults(
            query=query.text,
            language=language,
            confident=confident,
            confidence=round(confidence, 4),
            results=[self._result(hit) for hit in hits],
        )

    async def click(
        self, *, query: str, language: Language, group: str, entry_type: str, position: int
    ) -> None:
        await self.feedback.record_click(
            query_key=query_key(query),
            language=language,
            group=group,
            entry_type=entry_type,
            position=position,
        )

    # -- shaping ----------------------------------------------------------------------------

    @staticmethod
    def _entry_suggestion(hit: Hit, prefix: str | None, matcher: Matcher | None) -> Suggestion:
        entry = hit.entry
        return Suggestion(
            type=entry.type,
            id=entry.id,
            group=entry.group,
            title=entry.title,
            title_html=highlight(entry.title, hit.matched, prefix, matcher=matcher),
            snippet=snippet(hit.passage, hit.matched, prefix, matcher=matcher),
            url=safe_link(entry.url),
            action=entry.action,
            score=round(hit.score, 4),
        )

    @staticmethod
    def _notice_suggestion(
        notice: Notice,
        score: float,
        stems: set[str],
        language: Language,
        prefix: str | None,
        where: str = "UTC",
        now: datetime | None = None,
    ) -> Suggestion:
        extract = snippet(notice.body(language) or notice.title(language), stems, prefix)
        if notice.kind == "maintenance" and now is not None:
            # When comes first: "planned Thursday ... 10:00 PM–11:00 PM CET".
            when = html.escape(window_text(notice, language, where, now))
            extract = f"{when} · {extract}" if notice.body(language) else when
        return Suggestion(
            type="maintenance_notice" if notice.kind == "maintenance" else "incident_notice",
            id=f"notice-{notice.id}",
            group=f"notice-{notice.id}",
            title=notice.title(language),
            title_html=highlight(notice.title(language), stems, prefix),
            snippet=extract,
            url=safe_link(notice.url),
            score=round(score, 4),
        )

    @staticmethod
    def _fallbacks(text: str, language: Language) -> list[Suggestion]:
        ticket, agent = (
            t("Create a ticket with this text", language),
            t("Chat with an agent", language),
        )
        return [
            Suggestion(
                type="create_ticket",
                id="create-ticket-with-text",
                title=ticket,
                title_html=html.escape(ticket),
                snippet=html.escape(
                    t("A technician will take over: “{text}”", language, text=text)
                ),
                action="/open_incident" + json.dumps({"description": text}, ensure_ascii=False),
                score=0.0,
            ),
            Suggestion(
                type="chat_agent",
                id="chat-with-agent",
                title=agent,
                title_html=html.escape(agent),
                snippet=html.escape(t("Talk to someone from the service desk now.", language)),
                action="/human_handoff",
                score=0.0,
            ),
        ]

    @staticmethod
    def _result(hit: Hit) -> SearchResult:
        entry = hit.entry
        return SearchResult(
            type=entry.type,
            id=entry.id,
            group=entry.group,
            language=entry.language,
            title=entry.title,
            title_html=highlight(entry.title, hit.matched),
            snippet=snippet(hit.passage, hit.matched, words=40),
            url=safe_link(entry.url),
            action=entry.action,
            category=entry.category,
            tags=entry.tags,
            updated=entry.updated.isoformat() if entry.updated else None,
            symptom=entry.symptom,
            cause=entry.cause,
            workaround=entry.workaround,
            passage=hit.passage_number,
            score=round(hit.score, 4),
        )


def _same(kept: tuple[object, ...], now: tuple[object, ...]) -> bool:
    """Whether the cache's generation is `now`'s: the same objects, not equal ones."""
    return all(a is b for a, b in zip(kept, now, strict=True))
