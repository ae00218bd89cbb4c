"""Feedback into ranking: what was clicked or found helpful rises, what was not sinks a little.

`boosts` turns stored signals into additions to fused scores: small for an entry's record over
all queries, larger for the same query. `FeedbackKnowledgeBase` gives the dialogue engine the
same boosts, records what it could not answer, and takes the engine's "did that solve it?".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol, runtime_checkable

from bot.kernel.feedback import SearchFeedback, Signals
from bot.kernel.language import Language
from knowledge_index.abstention import Sureness
from knowledge_index.documents import CatalogItem, Entry, EntryType
from knowledge_index.index import Hit, SearchQuery
from knowledge_index.service import Answered, IndexedKnowledgeBase
from knowledge_index.text import words

# Feedback nudges, it never rewrites: every tally is shrunk towards "no opinion" by a prior
# of this many votes (or clicks) before it counts, so five "No" on one answer move it by about
# 0.01, less than what separates a right answer from the next one; only steady evidence from
# many people comes near the caps. (Five "No" once moved an answer by 0.11, and a fresh
# conversation got another article for the same sentence.) Each click and vote also weighs
# less with age (half-life `bot.kernel.feedback.HALF_LIFE_DAYS`, applied by the store per
# query and entry).
PRIOR_VOTES = 20
PRIOR_CLICKS = 10
QUERY_VOTE_WEIGHT = 0.05
QUERY_CLICK_WEIGHT = 0.04
OVERALL_VOTE_WEIGHT = 0.03
OVERALL_CLICK_WEIGHT = 0.01
OVERALL_CAP = 0.02
QUERY_CAP = 0.05
ARTICLE_TYPES: tuple[EntryType, ...] = ("procedure", "faq", "known_error")


def query_key(query: str) -> str:
    """The folded words of a query: "Mot de passe oublié ?" gives "mot de passe oublie"."""
    return " ".join(words(query))[:200]


def _shrunk(evidence: float, amount: float, prior: float) -> float:
    """`evidence` out of `amount` observations, pulled towards 0 by `prior` of no opinion."""
    return evidence / (amount + prior)


def boosts(signals: Signals, key: str) -> dict[str, float]:
    """What to add to each group's score for this query key: within ±0.07 whatever happens."""
    groups = set(signals.clicks) | set(signals.helpful) | set(signals.unhelpful)
    found: dict[str, float] = {}
    for group in groups:
        clicks = signals.clicks.get(group, 0)
        yes, no = signals.helpful.get(group, 0), signals.unhelpful.get(group, 0)
        overall = OVERALL_CLICK_WEIGHT * _shrunk(
            clicks, clicks, PRIOR_CLICKS
        ) + OVERALL_VOTE_WEIGHT * _shrunk(yes - no, yes + no, PRIOR_VOTES)
        query_clicks = signals.query_clicks.get((key, group), 0)
        votes = signals.query_votes.get((key, group), 0)
        same_query = QUERY_CLICK_WEIGHT * _shrunk(
            query_clicks, query_clicks, PRIOR_CLICKS
        ) + QUERY_VOTE_WEIGHT * _shrunk(votes, abs(votes), PRIOR_VOTES)
        boost = max(-OVERALL_CAP, min(OVERALL_CAP, overall)) + max(
            -QUERY_CAP, min(QUERY_CAP, same_query)
        )
        if boost:
            found[group] = boost
    return found


@runtime_checkable
class AnswerFeedback(Protocol):
    """A knowledge base that learns from "did that solve it?"."""

    async def record_answer(
        self, *, query: str, entry_id: str, helpful: bool, conversation_id: str | None = None
    ) -> None: ...


async def record_answer_vote(
    knowledge: object,
    *,
    query: str | None,
    entry_id: str | None,
    helpful: bool,
    conversation_id: str | None = None,
) -> None:
    """Called by the dialogue engine with the answer to "did that solve it?"."""
    if isinstance(knowledge, AnswerFeedback) and query and entry_id:
        await knowledge.record_answer(
            query=query, entry_id=entry_id, helpful=helpful, conversation_id=conversation_id
        )


class FeedbackKnowledgeBase:
    """The served knowledge base seen through this database's feedback (one per `Services`),
    and judged by the same `Sureness` as search and the omnibox."""

    def __init__(
        self, knowledge: IndexedKnowledgeBase, feedback: SearchFeedback, *, sureness: Sureness
    ) -> None:
        self.knowledge = knowledge
        self.feedback = feedback
        self.sureness = sureness

    async def search(self, query: SearchQuery) -> list[Hit]:
        return (await self.answer(query)).hits

    async def answer(self, query: SearchQuery) -> Answered:
        if not query.text.strip() or not self.knowledge.ready:
            return Answered([], 0.0, sure=False, answer=False)
        key = query_key(query.text)
        found = await self.knowledge.find(
            replace(query, boosts=boosts(await self.feedback.signals(), key))
        )
        verdict = self.sureness.judge(found.evidence.hits, found.evidence.match)
        asks_articles = query.types is not None and set(query.types) == set(ARTICLE_TYPES)
        if asks_articles and not verdict.sure and key:
            best = found.hits[0].score if found.hits else 0.0
            await self.feedback.record_gap(
                query_key=key, query=query.text, language=query.language, best_score=best
            )
        return Answered(found.hits, verdict.confidence, verdict.sure, verdict.answer)

    def catalog_item(self, item_id: str) -> CatalogItem | None:
        return self.knowledge.catalog_item(item_id)

    def entry(self, group: str, language: Language) -> Entry | None:
        return self.knowledge.entry(group, language)

    async def record_answer(
        self, *, query: str, entry_id: str, helpful: bool, conversation_id: str | None = None
    ) -> None:
        index = self.knowledge.index
        entry = index.by_id(entry_id) if index is not None else None
        if entry is None:
            return
        await self.feedback.record_vote(
            query_key=query_key(query),
            language=entry.language,
            group=entry.group,
            helpful=helpful,
            conversation_id=conversation_id,
        )
