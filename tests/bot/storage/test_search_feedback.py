"""Clicks, votes and unanswered questions on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.database import Database
from bot.storage.search_feedback import FeedbackStore

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
