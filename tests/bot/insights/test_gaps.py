"""Knowledge gaps grouped by meaning with the real embedder, and an article written from one
that search finds at once, without a restart."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.insights.articles import ArticleWriter, NewArticle, slugify
from bot.insights.gaps import GapFinder, trend
from bot.services import Components
from bot.settings import SAMPLE_KB_DIR
from bot.storage.database import Database
from bot.storage.tables import (
    AnswerFeedbackRow,
    ConversationRow,
    EscalationRow,
    KnowledgeGapEventRow,
)
from knowledge_index.feedback import query_key
from knowledge_index.index import SearchQuery
from knowledge_index.service import open_knowledge_base
from tests.conftest import copy_cached_index

pytestmark = pytest.mark.slow

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _miss(text: str, language: str, days_ago: float) -> KnowledgeGapEventRow:
    return KnowledgeGapEventRow(
        query_key=query_key(text),
        query=text,
        language=language,
        best_score=0.2,
        at=NOW - timedelta(days=days_ago),
    )


async def _seed(database: Database) -> None:
    async with database.sessions.begin() as session:
        session.add(
            ConversationRow(
                id="esc-1", channel="web", user_id="u@norvane.example", language="fr",
                language_locked=False, state={}, created_at=NOW - timedelta(days=1),
                updated_at=NOW - timedelta(days=1),
            )
        )  # fmt: skip
        await session.flush()
        session.add_all(
            [
                # canteen: 3 misses and a "not helpful" this week, 1 miss the week before
                _miss("menu de la cantine aujourd'hui", "fr", 1),
                _miss("menu de la cantine aujourd'hui", "fr", 2),
                _miss("what's on the canteen menu today", "en", 3),
                _miss("canteen menu", "en", 9),
                AnswerFeedbackRow(
                    query_key=query_key("cantine menu mardi"),
                    language="fr",
                    entry_group="out-of-office",
                    helpful=False,
                    conversation_id=None,
                    created_at=NOW - timedelta(days=4),
                ),
                # parking badge: new this week, one of them an escalation
                _miss("parking badge not working", "en", 2),
                EscalationRow(
                    conversation_id="esc-1",
                    requester="u@norvane.example",
                    reason="bot_failed",
                    status="waiting",
                    summary={"last_problem": "mon badge de parking ne marche plus"},
                    created_at=NOW - timedelta(days=1),
                ),
                # meeting rooms: 1 this week, 2 the week before
                _miss("how do I book a meeting room", "en", 5),
                _miss("réserver une salle de réunion", "fr", 8),
                _miss("réserver une salle de réunion", "fr", 10),
                # three weeks ago: outside both periods
                _miss("expense report software", "en", 20),
            ]
        )


async def test_gaps_are_grouped_by_meaning_across_languages(
    database: Database, components: Components
) -> None:
    await _seed(database)
    report = await GapFinder(database, components.embedder).report(now=NOW, days=7)
    groups = {frozenset(e.query for e in g.examples): g for g in report.groups}
    canteen = groups[
        frozenset(
            {
                "menu de la cantine aujourd'hui",
                "what's on the canteen menu today",
                "cantine menu mardi",
            }
        )
    ]
    assert (canteen.count, canteen.previous, canteen.trend) == (4, 1, "up")
    assert canteen.label == "menu de la cantine aujourd'hui"  # asked twice
    assert canteen.sources == {"search": 3, "unhelpful": 1}
    assert canteen.languages == ["en", "fr"]
    parking = groups[
        frozenset({"parking badge not working", "mon badge de parking ne marche plus"})
    ]
    assert (parking.count, parking.previous, parking.trend) == (2, 0, "new")
    assert parking.sources == {"escalation": 1, "search": 1}
    rooms = groups[frozenset({"how do I book a meeting room"})]
    assert (rooms.count, rooms.previous, rooms.trend) == (1, 2, "down")
    assert [g.id for g in report.groups][:2] == [canteen.id, parking.id]  # most frequent first
    assert len(report.groups) == 3  # nothing from three weeks ago


def test_trend() -> None:
    assert [trend(3, 0), trend(3, 1), trend(1, 3), trend(2, 2)] == ["new", "up", "down", "flat"]


def test_an_article_needs_a_title_and_a_body_in_one_language() -> None:
    with pytest.raises(ValidationError, match="title_en and body_en go together"):
        NewArticle(title_en="Canteen", body_en=" ")
    with pytest.raises(ValidationError, match="in English or French"):
        NewArticle(tags=["x"])
    assert slugify("Menu de la cantine : où le trouver ?") == "menu-de-la-cantine-ou-le-trouver"


async def test_a_drafted_article_is_found_at_once_without_restart(
    components: Components, tmp_path: Path
) -> None:
    kb_dir, index_dir = tmp_path / "kb", tmp_path / "index"
    shutil.copytree(SAMPLE_KB_DIR, kb_dir)
    copy_cached_index(index_dir)  # that same content's: nothing to embed again
    knowledge = open_knowledge_base(kb_dir, index_dir, components.embedder)
    question = "où trouver le menu de la cantine cette semaine"
    before = await knowledge.search(SearchQuery(question, "fr", limit=3))
    assert not before or before[0].score < 0.45  # no confident answer: a gap
    entries = knowledge.require().manifest.entries

    writer = ArticleWriter(knowledge, folder="agents")
    published = await writer.publish(
        NewArticle(
            title_en="Where to find the canteen menu",
            body_en="The canteen menu of the week is posted every Monday on the intranet page "
            "Restaurant, and on the screen at the canteen entrance.",
            title_fr="Où trouver le menu de la cantine",
            body_fr="Le menu de la cantine de la semaine est publié chaque lundi sur la page "
            "Restaurant de l'intranet et sur l'écran à l'entrée de la cantine.",
            tags=["cantine", "canteen", "menu", "restaurant"],
            gap="abc123",
        ),
        author="agent@norvane.example",
    )
    assert published.slug == "where-to-find-the-canteen-menu"
    assert published.files == [
        "articles/en/agents/where-to-find-the-canteen-menu.md",
        "articles/fr/agents/where-to-find-the-canteen-menu.md",
    ]
    assert published.index_entries == entries + 2
    # The same served object answers now: no restart, no reload by hand.
    after = await knowledge.search(SearchQuery(question, "fr", limit=3))
    assert after[0].entry.id == "fr-where-to-find-the-canteen-menu" and after[0].score >= 0.45
    english = await knowledge.search(SearchQuery("canteen menu this week", "en", limit=1))
    assert english[0].entry.id == "en-where-to-find-the-canteen-menu"
    # A fresh process loading the folder sees it too, and a second draft gets its own slug.
    reopened = open_knowledge_base(kb_dir, index_dir, components.embedder, build=False)
    assert reopened.entry("where-to-find-the-canteen-menu", "fr") is not None
    again = await writer.publish(
        NewArticle(title_en="Where to find the canteen menu", body_en="Ask at the desk."),
        author="agent@norvane.example",
    )
    assert again.slug == "where-to-find-the-canteen-menu-2" and again.ids == [
        "en-where-to-find-the-canteen-menu-2"
    ]
