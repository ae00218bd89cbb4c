"""Knowledge gaps: the questions the bot could not answer well, grouped by meaning.

A question counts each time a search found no confident answer, an answer was voted "not
helpful", or a conversation was handed to an agent (its last problem). Questions are embedded
with the service's embedder and grouped by agglomerative clustering (average linkage, cosine
distance under `distance`), so "menu de la cantine" and "canteen menu today" are one gap.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import anyio
import numpy as np
from pydantic import BaseModel, Field
from sklearn.cluster import AgglomerativeClustering
from sqlalchemy import select

from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import (
    AnswerFeedbackRow,
    ConversationRow,
    EscalationRow,
    KnowledgeGapEventRow,
    KnowledgeGapRow,
)
from knowledge_index.embedders import Embedder, Vectors
from knowledge_index.feedback import query_key

Source = Literal["search", "unhelpful", "escalation"]
Trend = Literal["new", "up", "down", "flat"]
DISTANCE = 0.5  # paraphrases across EN/FR sit at 0.5-0.75 cosine, unrelated ones under 0.3
MAX_QUESTIONS = 2000
VECTOR_CACHE = 2 * MAX_QUESTIONS
EXAMPLES = 5


@dataclass(frozen=True)
class Occurrence:
    text: str
    key: str
    language: str
    source: Source
    at: datetime


class GapExample(BaseModel):
    query: str
    language: str
    count: int


class GapGroup(BaseModel):
    id: str = Field(description="stable while its most asked question stays the same")
    label: str = Field(description="its most asked question")
    count: int = Field(description="occurrences in the period")
    previous: int = Field(description="occurrences in the period of the same length before")
    trend: Trend
    languages: list[str]
    sources: dict[str, int]
    examples: list[GapExample]
    last_seen: datetime


class GapReport(BaseModel):
    start: datetime
    end: datetime
    previous_start: datetime
    groups: list[GapGroup]


def trend(count: int, previous: int) -> Trend:
    if previous == 0:
        return "new"
    return "up" if count > previous else "down" if count < previous else "flat"


def cluster(vectors: Vectors, *, distance: float) -> list[int]:
    """A group number per vector; vectors closer than `distance` (cosine) end up together."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return [int(label) for label in model.fit_predict(np.asarray(vectors, dtype=np.float64))]


class GapFinder:
    def __init__(
        self, database: Database, embedder: Embedder, *, distance: float = DISTANCE
    ) -> None:
        self._sessions = database.sessions
        self.embedder = embedder
        self.distance = distance
        self._vectors: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def _embed(self, texts: list[str]) -> Vectors:
        """Vectors of `texts`, embedding only those not seen lately (reports repeat them)."""
        with self._lock:
            return self._embed_locked(texts)

    def _embed_locked(self, texts: list[str]) -> Vectors:
        new = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if new:
            for text, vector in zip(new, self.embedder.embed(new), strict=True):
                self._vectors[text] = vector
        for text in texts:
            self._vectors.move_to_end(text)
        while len(self._vectors) > VECTOR_CACHE:
            self._vectors.popitem(last=False)
        return np.stack([self._vectors[text] for text in texts])

    async def occurrences(self, since: datetime, until: datetime) -> list[Occurrence]:
        """Every time in [since, until) a question was answered badly, whatever the source."""
        async with self._sessions() as session:
            misses = (
                await session.scalars(
                    select(KnowledgeGapEventRow).where(
                        KnowledgeGapEventRow.at >= since, KnowledgeGapEventRow.at < until
                    )
                )
            ).all()
            votes = (
                await session.scalars(
                    select(AnswerFeedbackRow).where(
                        AnswerFeedbackRow.helpful.is_(False),
                        AnswerFeedbackRow.created_at >= since,
                        AnswerFeedbackRow.created_at < until,
                    )
                )
            ).all()
            handed = (
                await session.execute(
                    select(EscalationRow, ConversationRow.language)
                    .join(ConversationRow, ConversationRow.id == EscalationRow.conversation_id)
                    .where(EscalationRow.created_at >= since, EscalationRow.created_at < until)
                )
            ).all()
            # A vote keeps the folded words only: show them as first typed when known.
            keys = {vote.query_key for vote in votes}
            typed = {
                (row.query_key, row.language): row.query
                for row in (
                    await session.scalars(
                        select(KnowledgeGapRow).where(KnowledgeGapRow.query_key.in_(keys))
                    )
                ).all()
            }
        found = [
            Occurrence(m.query, m.query_key, m.language, "search", as_utc(m.at)) for m in misses
        ]
        found += [
            Occurrence(
                typed.get((v.query_key, v.language), v.query_key),
                v.query_key,
                v.language,
                "unhelpful",
                as_utc(v.created_at),
            )
            for v in votes
        ]
        for escalation, language in handed:
            problem = escalation.summary.get("last_problem")
            if isinstance(problem, str) and (key := query_key(problem)):
                found.append(
                    Occurrence(problem, key, language, "escalation", as_utc(escalation.created_at))
                )
        return found

    async def report(self, *, now: datetime, days: int = 7, limit: int = 50) -> GapReport:
        """Gaps of the last `days` days, most frequent first, against the `days` before."""
        start = now - timedelta(days=days)
        previous_start = start - timedelta(days=days)
        occurrences = await self.occurrences(previous_start, now)
        by_key: dict[str, list[Occurrence]] = defaultdict(list)
        for occurrence in occurrences:
            by_key[occurrence.key].append(occurrence)
        # The most recent questions when there are too many to cluster in one go.
        keys = sorted(by_key, key=lambda k: max(o.at for o in by_key[k]), reverse=True)
        keys = keys[:MAX_QUESTIONS]
        texts = [max(by_key[k], key=lambda o: o.at).text for k in keys]
        vectors = await anyio.to_thread.run_sync(self._embed, texts) if texts else None
        labels = cluster(vectors, distance=self.distance) if vectors is not None else []
        members: dict[int, list[str]] = defaultdict(list)
        for key, label in zip(keys, labels, strict=True):
            members[label].append(key)
        groups = [
            group
            for keys_of in members.values()
            if (group := self._group([o for k in keys_of for o in by_key[k]], start)) is not None
        ]
        groups.sort(key=lambda g: (-g.count, -g.previous, g.label))
        return GapReport(start=start, end=now, previous_start=previous_start, groups=groups[:limit])

    @staticmethod
    def _group(occurrences: list[Occurrence], start: datetime) -> GapGroup | None:
        current = [o for o in occurrences if o.at >= start]
        if not current:
            return None
        per_key = Counter(o.key for o in current)
        latest = {o.key: o for o in sorted(current, key=lambda o: o.at)}
        ranked = sorted(per_key.items(), key=lambda item: (-item[1], item[0]))
        top = latest[ranked[0][0]]
        previous = len(occurrences) - len(current)
        return GapGroup(
            id=hashlib.sha1(top.key.encode(), usedforsecurity=False).hexdigest()[:12],
            label=top.text,
            count=len(current),
            previous=previous,
            trend=trend(len(current), previous),
            languages=sorted({o.language for o in current}),
            sources=dict(sorted(Counter(o.source for o in current).items())),
            examples=[
                GapExample(query=latest[key].text, language=latest[key].language, count=n)
                for key, n in ranked[:EXAMPLES]
            ],
            last_seen=max(o.at for o in current),
        )
