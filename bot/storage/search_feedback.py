"""What employees did with search results: clicks, "was this helpful?", unanswered questions.

Clicks and votes feed the ranking (`Signals`); unanswered questions make the knowledge-gap
report. Query keys are the folded words of a query ("Mot de passe oublié ?" and "mot de passe
oublie" are one key).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from bot.kernel.domain import utcnow
from bot.kernel.feedback import HALF_LIFE_DAYS, Gap, Signals, decayed
from bot.privacy.redact import Redactor
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import (
    AnswerFeedbackRow,
    KnowledgeGapEventRow,
    KnowledgeGapRow,
    SuggestionClickRow,
)

MAX_KEY = 200
MAX_QUERY = 500


class FeedbackStore:
    def __init__(
        self,
        database: Database,
        *,
        ttl: float = 30.0,
        redactor: Redactor | None = None,
        half_life_days: float = HALF_LIFE_DAYS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = database.sessions
        self._half_life = half_life_days
        self._clock = clock
        # What people type is kept (gap report, rankings): with its secrets redacted.
        self._redact = (redactor or Redactor()).redact
        self._ttl = ttl
        self._cached: tuple[float, Signals] | None = None

    async def record_click(
        self, *, query_key: str, language: str, group: str, entry_type: str, position: int
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                SuggestionClickRow(
                    query_key=self._redact(query_key)[:MAX_KEY],
                    language=language,
                    entry_group=group[:200],
                    entry_type=entry_type[:32],
                    position=position,
                    created_at=utcnow(),
                )
            )
        self._cached = None

    async def record_vote(
        self,
        *,
        query_key: str,
        language: str,
        group: str,
        helpful: bool,
        conversation_id: str | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                AnswerFeedbackRow(
                    query_key=self._redact(query_key)[:MAX_KEY],
                    language=language,
                    entry_group=group[:200],
                    helpful=helpful,
                    conversation_id=conversation_id,
                    created_at=utcnow(),
                )
            )
        self._cached = None

    async def record_gap(
        self, *, query_key: str, query: str, language: str, best_score: float
    ) -> None:
        """Count a question nothing answered well; one row per key and language."""
        key, query = self._redact(query_key)[:MAX_KEY], self._redact(query)
        await self._gap_event(key, query, language, best_score)
        if await self._count_gap(key, query, language, best_score):
            return
        try:
            async with self._sessions.begin() as session:
                now = utcnow()
                session.add(
                    KnowledgeGapRow(
                        query_key=key,
                        query=query[:MAX_QUERY],
                        language=language,
                        count=1,
                        best_score=best_score,
                        first_seen=now,
                        last_seen=now,
                    )
                )
        except IntegrityError:  # the same question, first asked twice at the same moment
            await self._count_gap(key, query, language, best_score)

    async def _gap_event(self, key: str, query: str, language: str, best_score: float) -> None:
        """Each time on its own too: the knowledge-gap report shows this week against the last."""
        async with self._sessions.begin() as session:
            session.add(
                KnowledgeGapEventRow(
                    query_key=key,
                    query=query[:MAX_QUERY],
                    language=language,
                    best_score=best_score,
                    at=utcnow(),
                )
            )

    async def _count_gap(self, key: str, query: str, language: str, best_score: float) -> bool:
        """One more time for a known question, atomically; false if it is new."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(KnowledgeGapRow)
                .where(KnowledgeGapRow.query_key == key, KnowledgeGapRow.language == language)
                .values(
                    count=KnowledgeGapRow.count + 1,
                    query=query[:MAX_QUERY],
                    best_score=case(
                        (KnowledgeGapRow.best_score < best_score, best_score),
                        else_=KnowledgeGapRow.best_score,
                    ),
                    last_seen=utcnow(),
                )
            )
        return bool(getattr(result, "rowcount", 0))

    async def gaps(self, *, limit: int = 50, since: datetime | None = None) -> list[Gap]:
        """The most frequent unanswered questions, most asked first."""
        statement = select(KnowledgeGapRow).order_by(
            KnowledgeGapRow.count.desc(), KnowledgeGapRow.last_seen.desc()
        )
        if since is not None:
            statement = statement.where(KnowledgeGapRow.last_seen >= since)
        async with self._sessions() as session:
            rows = (await session.scalars(statement.limit(limit))).all()
        return [
            Gap(
                query=row.query,
                language=row.language,
                count=row.count,
                best_score=row.best_score,
                first_seen=as_utc(row.first_seen),
                last_seen=as_utc(row.last_seen),
            )
            for row in rows
        ]

    async def signals(self) -> Signals:
        """Aggregated clicks and votes, from a copy at most `ttl` seconds old."""
        if self._cached is not None and time.monotonic() - self._cached[0] < self._ttl:
            return self._cached[1]
        signals = Signals()
        # By day: the weights change once a day, so that the suggestion caches keyed on the
        # signals live as long as nothing is recorded.
        today = self._clock().date()

        def weight(count: int, day: date | str) -> float:
            age = (today - (date.fromisoformat(day) if isinstance(day, str) else day)).days
            return decayed(count, age, self._half_life)

        async with self._sessions() as session:
            click_day = func.date(SuggestionClickRow.created_at)
            clicks = await session.execute(
                select(
                    SuggestionClickRow.query_key,
                    SuggestionClickRow.entry_group,
                    click_day,
                    func.count(),
                ).group_by(SuggestionClickRow.query_key, SuggestionClickRow.entry_group, click_day)
            )
            for key, group, day, count in clicks:
                weighed = weight(count, day)
                signals.clicks[group] = signals.clicks.get(group, 0) + weighed
                signals.query_clicks[(key, group)] = (
                    signals.query_clicks.get((key, group), 0) + weighed
                )
            vote_day = func.date(AnswerFeedbackRow.created_at)
            votes = await session.execute(
                select(
                    AnswerFeedbackRow.query_key,
                    AnswerFeedbackRow.entry_group,
                    AnswerFeedbackRow.helpful,
                    vote_day,
                    func.count(),
                ).group_by(
                    AnswerFeedbackRow.query_key,
                    AnswerFeedbackRow.entry_group,
                    AnswerFeedbackRow.helpful,
                    vote_day,
                )
            )
            for key, group, helpful, day, count in votes:
                weighed = weight(count, day)
                tally = signals.helpful if helpful else signals.unhelpful
                tally[group] = tally.get(group, 0) + weighed
                signals.query_votes[(key, group)] = signals.query_votes.get((key, group), 0) + (
                    weighed if helpful else -weighed
                )
        if self._cached is not None and self._cached[1] == signals:
            signals = self._cached[1]  # the same object while nothing changed: caches key on it
        self._cached = (time.monotonic(), signals)
        return signals
