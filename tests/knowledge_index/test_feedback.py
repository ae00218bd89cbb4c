"""Votes and clicks nudge the ranking; a handful of them never rewrites an answer."""

from __future__ import annotations

import pytest

from bot.kernel.feedback import Signals
from bot.services import Services
from knowledge_index.documents import EntryType
from knowledge_index.feedback import OVERALL_CAP, QUERY_CAP, boosts, query_key
from knowledge_index.index import SearchQuery

ARTICLES: tuple[EntryType, ...] = ("procedure", "faq", "known_error")
SENTENCE = "lost my phone with the authenticator app"


def test_no_amount_of_votes_moves_an_entry_past_the_caps() -> None:
    key = query_key(SENTENCE)
    flood = Signals(
        clicks={"a": 10_000},
        helpful={"a": 10_000},
        unhelpful={"b": 10_000},
        query_clicks={(key, "a"): 10_000},
        query_votes={(key, "a"): 10_000, (key, "b"): -10_000},
    )
    found = boosts(flood, key)
    assert 0 < found["a"] <= OVERALL_CAP + QUERY_CAP
    assert 0 > found["b"] >= -(OVERALL_CAP + QUERY_CAP)


def test_each_further_vote_counts_less() -> None:
    key = query_key(SENTENCE)

    def after(no: int) -> float:
        signals = Signals(unhelpful={"a": no}, query_votes={(key, "a"): -no})
        return boosts(signals, key)["a"]

    steps = [after(n) - after(n + 1) for n in (1, 5, 20, 80)]
    assert all(step > 0 for step in steps) and steps == sorted(steps, reverse=True)
    assert after(5) > -0.02  # five "No": a nudge


@pytest.mark.slow
async def test_five_no_votes_on_an_answer_do_not_change_it_for_the_next_person(
    services: Services,
) -> None:
    knowledge = services.engine.knowledge
    query = SearchQuery(SENTENCE, "en", limit=3, types=ARTICLES)
    first = (await knowledge.search(query))[0]
    for n in range(5):
        await services.engine.knowledge.record_answer(  # type: ignore[attr-defined]
            query=SENTENCE, entry_id=first.entry.id, helpful=False, conversation_id=f"c{n}"
        )
    again = await knowledge.search(query)
    assert again[0].entry.id == first.entry.id
    assert again[0].score < first.score  # nudged down, all the same


@pytest.mark.slow
async def test_many_people_saying_no_lower_the_answer_within_bounds(services: Services) -> None:
    knowledge = services.engine.knowledge
    query = SearchQuery(SENTENCE, "en", limit=3, types=ARTICLES)
    first = (await knowledge.search(query))[0]
    for n in range(60):
        await services.engine.knowledge.record_answer(  # type: ignore[attr-defined]
            query=SENTENCE, entry_id=first.entry.id, helpful=False, conversation_id=f"c{n}"
        )
    after = next(h for h in await knowledge.search(query) if h.entry.id == first.entry.id)
    assert first.score - (OVERALL_CAP + QUERY_CAP) <= after.score < first.score - 0.03
