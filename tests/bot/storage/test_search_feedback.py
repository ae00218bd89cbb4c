"""Clicks, votes and unanswered questions on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.kernel.domain import utcnow
from bot.kernel.feedback import HALF_LIFE_DAYS
from bot.storage.database import Database
from bot.storage.search_feedback import FeedbackStore
from knowledge_index.feedback import boosts

pytestmark = pytest.mark.unit


async def test_signals_aggregate_clicks_and_votes(database: Database) -> None:
    store = FeedbackStore(database)
    for position in (0, 2):
        await store.record_click(
            query_key="vpn",
            language="en",
            group="vpn-connect",
            entry_type="procedure",
            position=position,
        )
    await store.record_vote(query_key="vpn", language="en", group="vpn-connect", helpful=True)
    await store.record_vote(query_key="vpn", language="fr", group="vpn-connect", helpful=True)
    await store.record_vote(query_key="wifi", language="en", group="vpn-connect", helpful=False)
    signals = await store.signals()
    assert signals.clicks == {"vpn-connect": 2}
    assert signals.query_clicks == {("vpn", "vpn-connect"): 2}
    assert (signals.helpful, signals.unhelpful) == ({"vpn-connect": 2}, {"vpn-connect": 1})
    assert signals.query_votes == {("vpn", "vpn-connect"): 2, ("wifi", "vpn-connect"): -1}


async def test_votes_and_clicks_weigh_less_as_months_go_by(database: Database) -> None:
    await FeedbackStore(database).record_vote(
        query_key="vpn", language="en", group="vpn-connect", helpful=False
    )
    await FeedbackStore(database).record_click(
        query_key="vpn", language="en", group="vpn-hotel", entry_type="known_error", position=1
    )
    today = await FeedbackStore(database).signals()
    assert today.unhelpful == {"vpn-connect": 1} and today.clicks == {"vpn-hotel": 1}

    def later(days: int) -> FeedbackStore:
        return FeedbackStore(database, clock=lambda: utcnow() + timedelta(days=days))

    half_year = await later(2 * int(HALF_LIFE_DAYS)).signals()
    assert half_year.unhelpful["vpn-connect"] == pytest.approx(0.25)
    assert half_year.query_votes[("vpn", "vpn-connect")] == pytest.approx(-0.25)
    assert half_year.query_clicks[("vpn", "vpn-hotel")] == pytest.approx(0.25)
    # Two years on, a "No" no longer holds the answer down.
    key = "vpn"
    assert boosts(await later(730).signals(), key)["vpn-connect"] > -0.0001


async def test_gaps_are_counted_per_question(database: Database) -> None:
    store = FeedbackStore(database)
    await store.record_gap(
        query_key="menu cantine", query="Menu cantine ?", language="fr", best_score=0.1
    )
    await asyncio.gather(
        *(
            store.record_gap(
                query_key="menu cantine", query="menu cantine", language="fr", best_score=0.2
            )
            for _ in range(3)
        )
    )
    await store.record_gap(query_key="parking", query="parking", language="en", best_score=0.05)
    gaps = await store.gaps()
    assert [(g.query, g.count) for g in gaps] == [("menu cantine", 4), ("parking", 1)]
    assert gaps[0].best_score == pytest.approx(0.2) and gaps[0].last_seen >= gaps[0].first_seen
    assert len(await store.gaps(limit=1)) == 1
