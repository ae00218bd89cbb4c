"""What a change brought: tickets, failing searches and knowledge-gap clusters inside its window
against the weeks before (a rate per hour and the ratio, with the counts), the new questions;
and, before a change is approved, the questions similar past changes brought.

The window observed runs from the change's start to `after` past its end; the baseline is the
`baseline` weeks before its start. Past changes are similar when they affect the same service
or CI, or when their titles are close in meaning (the service's embedder, cosine ≥ `title`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import anyio
import numpy as np
from pydantic import BaseModel
from sqlalchemy import select

from bot.insights.changes import ChangeNotFound
from bot.insights.gaps import GapFinder, Occurrence, cluster
from bot.kernel.changes import NOT_YET_APPROVED
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import ChangeRow, TicketRow
from knowledge_index.embedders import Embedder

TOP_QUESTIONS = 10
SIMILAR_CHANGES = 5


class Measure(BaseModel):
    """A count in the window against the baseline, as rates per hour and their ratio."""

    window: int
    baseline: int
    window_rate: float
    baseline_rate: float
    ratio: float | None  # None: nothing in the baseline to compare with


class Question(BaseModel):
    text: str
    count: int
    new: bool  # not asked in the baseline


class ChangeView(BaseModel):
    reference: str
    title: str
    service: str | None
    state: str | None
    source: str | None
    url: str | None
    starts_at: datetime
    ends_at: datetime
    window_end: datetime
    baseline_start: datetime
    tickets: Measure
    failing_searches: Measure
    clusters: Measure
    questions: list[Question]
    ticket_titles: list[Question]
    awaiting_approval: bool


class SimilarChange(BaseModel):
    reference: str
    title: str
    service: str | None
    starts_at: datetime
    why: str  # "service" or "title"
    questions: list[Question]


def measure(window: int, baseline: int, window_hours: float, baseline_hours: float) -> Measure:
    window_rate = window / window_hours if window_hours else 0.0
    baseline_rate = baseline / baseline_hours if baseline_hours else 0.0
    return Measure(
        window=window,
        baseline=baseline,
        window_rate=round(window_rate, 4),
        baseline_rate=round(baseline_rate, 4),
        ratio=round(window_rate / baseline_rate, 2) if baseline_rate else None,
    )


class ChangeImpact:
    def __init__(
        self,
        database: Database,
        gaps: GapFinder,
        embedder: Embedder,
        *,
        baseline: timedelta,
        after: timedelta,
        title: float,
    ) -> None:
        self._sessions = database.sessions
        self.gaps = gaps
        self.embedder = embedder
        self.baseline = baseline
        self.after = after
        self.title_similarity = title

    async def synced(self, *, limit: int = 100) -> list[ChangeRow]:
        """Changes read from the ITSM tools, latest start first."""
        async with self._sessions() as session:
            return list(
                (
                    await session.scalars(
                        select(ChangeRow)
                        .where(ChangeRow.source.is_not(None))
                        .order_by(ChangeRow.deployed_at.desc())
                        .limit(limit)
                    )
                ).all()
            )

    async def _row(self, reference: str) -> ChangeRow:
        async with self._sessions() as session:
            row = await session.scalar(select(ChangeRow).where(ChangeRow.reference == reference))
        if row is None:
            raise ChangeNotFound(reference=reference)
        return row

    def _bounds(self, row: ChangeRow) -> tuple[datetime, datetime, datetime]:
        start = as_utc(row.deployed_at)
        end = as_utc(row.ends_at) if row.ends_at else start
        return start - self.baseline, start, end + self.after

    async def view(self, reference: str) -> ChangeView:
        row = await self._row(reference)
        baseline_start, start, window_end = self._bounds(row)
        window_hours = (window_end - start).total_seconds() / 3600
        baseline_hours = (start - baseline_start).total_seconds() / 3600
        async with self._sessions() as session:
            titles = [
                (as_utc(at), title)
                for at, title in (
                    await session.execute(
                        select(TicketRow.created_at, TicketRow.title).where(
                            TicketRow.created_at >= baseline_start,
                            TicketRow.created_at < window_end,
                        )
                    )
                ).all()
            ]
        inside = [title for at, title in titles if at >= start]
        before = [title for at, title in titles if at < start]
        occurrences = [
            o
            for o in await self.gaps.occurrences(baseline_start, window_end)
            if o.source == "search"
        ]
        now_o = [o for o in occurrences if o.at >= start]
        before_o = [o for o in occurrences if o.at < start]
        groups_now, groups_before = await self._clusters(now_o, before_o)
        return ChangeView(
            reference=row.reference,
            title=row.title,
            service=row.service,
            state=row.state,
            source=row.source,
            url=row.url,
            starts_at=start,
            ends_at=as_utc(row.ends_at) if row.ends_at else start,
            window_end=window_end,
            baseline_start=baseline_start,
            tickets=measure(len(inside), len(before), window_hours, baseline_hours),
            failing_searches=measure(len(now_o), len(before_o), window_hours, baseline_hours),
            clusters=measure(groups_now, groups_before, window_hours, baseline_hours),
            questions=questions(now_o, before_o),
            ticket_titles=_titles(inside, before),
            awaiting_approval=(row.state or "") in NOT_YET_APPROVED,
        )

    async def _clusters(
        self, inside: list[Occurrence], before: list[Occurrence]
    ) -> tuple[int, int]:
        """Knowledge-gap clusters (questions grouped by meaning) of the window and baseline."""
        counts = []
        for part in (inside, before):
            texts = list(dict.fromkeys(o.text for o in part))
            if not texts:
                counts.append(0)
                continue
            vectors = await anyio.to_thread.run_sync(self.embedder.embed, texts)
            counts.append(len(set(cluster(vectors, distance=self.gaps.distance))))
        return counts[0], counts[1]

    async def similar(self, reference: str) -> list[SimilarChange]:
        """Past changes like this one, with the questions their windows brought."""
        row = await self._row(reference)
        start = as_utc(row.deployed_at)
        async with self._sessions() as session:
            past = list(
                (
                    await session.scalars(
                        select(ChangeRow)
                        .where(ChangeRow.deployed_at < start, ChangeRow.id != row.id)
                        .order_by(ChangeRow.deployed_at.desc())
                        .limit(200)
                    )
                ).all()
            )
        if not past:
            return []
        vectors = await anyio.to_thread.run_sync(
            self.embedder.embed, [row.title, *[p.title for p in past]]
        )
        cosines = np.asarray(vectors[1:]) @ np.asarray(vectors[0])
        chosen: list[tuple[ChangeRow, str]] = []
        service = (row.service or "").casefold()
        for other, cosine in zip(past, cosines, strict=True):
            if service and (other.service or "").casefold() == service:
                chosen.append((other, "service"))
            elif float(cosine) >= self.title_similarity:
                chosen.append((other, "title"))
        found = []
        for other, why in chosen[:SIMILAR_CHANGES]:
            _, other_start, other_end = self._bounds(other)
            asked = [
                o
                for o in await self.gaps.occurrences(other_start, other_end)
                if o.source == "search"
            ]
            found.append(
                SimilarChange(
                    reference=other.reference,
                    title=other.title,
                    service=other.service,
                    starts_at=other_start,
                    why=why,
                    questions=questions(asked, []),
                )
            )
        return found


def questions(inside: list[Occurrence], before: list[Occurrence]) -> list[Question]:
    """The questions asked in the window, most asked first, new ones (not in the baseline) first."""
    seen = {o.key for o in before}
    counts = Counter(o.key for o in inside)
    latest = {o.key: o.text for o in sorted(inside, key=lambda o: o.at)}
    ranked = sorted(counts.items(), key=lambda item: (item[0] in seen, -item[1], item[0]))
    return [
        Question(text=latest[key], count=count, new=key not in seen)
        for key, count in ranked[:TOP_QUESTIONS]
    ]


def _titles(inside: list[str], before: list[str]) -> list[Question]:
    seen = {t.casefold() for t in before}
    counts = Counter(inside)
    return [
        Question(text=title, count=count, new=title.casefold() not in seen)
        for title, count in counts.most_common(TOP_QUESTIONS)
    ]
