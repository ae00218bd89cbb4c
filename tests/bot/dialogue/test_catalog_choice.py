"""Naming a catalog item from a message, with hits in the order the re-ranker shows them."""

from __future__ import annotations

from bot.dialogue import forms
from bot.kernel.language import Language
from knowledge_index.documents import CatalogItem, Entry
from knowledge_index.index import Hit, SearchQuery


class ShownKnowledgeBase:
    """Answers every search with the same hits, in the order given (the order shown)."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits

    async def search(self, query: SearchQuery) -> list[Hit]:
        return self.hits[: query.limit]

    def catalog_item(self, item_id: str) -> CatalogItem | None:
        return None

    def entry(self, group: str, language: Language) -> Entry | None:
        return None


def _item(name: str, *, score: float, relevance: float) -> Hit:
    entry = Entry(
        id=f"catalog-{name}-en",
        group=f"catalog-{name}",
        type="catalog_item",
        language="en",
        title=name.replace("-", " ").title(),
        category="hardware",
        tags=[],
        url=f"/catalog/{name}",
        body=f"Request a {name}.",
    )
    return Hit(entry=entry, passage=entry.body, score=score, relevance=relevance)


async def test_a_clear_first_item_is_named() -> None:
    knowledge = ShownKnowledgeBase(
        [
            _item("laptop", score=0.72, relevance=3.0),
            _item("monitor", score=0.55, relevance=1.0),
            _item("headset", score=0.50, relevance=0.5),
        ]
    )
    assert await forms.catalog_choice(knowledge, "new laptop", "en") == ("laptop", [])


async def test_an_item_scored_above_the_first_shown_makes_the_choice_unclear() -> None:
    # The re-ranker put "laptop" first, yet "docking-station" has the higher fused score:
    # comparing only the first two shown would name "laptop" (0.60 - 0.50 >= the margin).
    knowledge = ShownKnowledgeBase(
        [
            _item("laptop", score=0.60, relevance=2.0),
            _item("monitor", score=0.50, relevance=1.5),
            _item("docking-station", score=0.62, relevance=1.0),
        ]
    )
    item, buttons = await forms.catalog_choice(knowledge, "laptop dock", "en")
    assert item is None
    assert [b.title for b in buttons] == ["Laptop", "Monitor", "Docking Station"]  # as shown


async def test_a_second_item_scored_above_the_first_makes_the_choice_unclear() -> None:
    knowledge = ShownKnowledgeBase(
        [_item("laptop", score=0.58, relevance=2.0), _item("monitor", score=0.70, relevance=1.0)]
    )
    item, buttons = await forms.catalog_choice(knowledge, "screen for my laptop", "en")
    assert item is None and len(buttons) == 2
