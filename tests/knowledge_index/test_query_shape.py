"""What a query asks for orders the kinds of entries: a broken thing, or a thing to obtain."""

from __future__ import annotations

import pytest

from bot.services import Components
from knowledge_index.index import SearchQuery
from knowledge_index.query_shape import shape_of, type_shifts


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("vpn ne marche pas", "symptom"),
        ("outlook crash", "symptom"),
        ("imprimante bloquée", "symptom"),
        ("pb de wifi", "symptom"),
        ("new laptop", "request"),
        ("besoin d'un ecran", "request"),
        ("remplacement casque", "request"),
        ("new laptop not working", "symptom"),  # broken beats wanted
        ("lost charger", "neutral"),  # a lost laptop is reported, a lost charger replaced
        ("confluence", "neutral"),
    ],
)
def test_employees_words_say_what_they_ask_for(text: str, shape: str) -> None:
    assert shape_of(text) == shape


def test_a_neutral_query_moves_nothing() -> None:
    assert type_shifts("shared mailbox") == {}
    symptom, request = type_shifts("outlook crash"), type_shifts("new laptop")
    assert symptom["known_error"] > 0 > symptom["catalog_item"]
    assert request["catalog_item"] > 0 and "known_error" not in request


@pytest.mark.slow
async def test_a_broken_vpn_gets_articles_before_the_vpn_catalog_item(
    components: Components,
) -> None:
    hits = await components.knowledge.hybrid(SearchQuery("vpn ne marche", "fr", limit=5))
    kinds = [h.entry.type for h in hits]
    assert kinds[0] != "catalog_item", [h.entry.group for h in hits]
    first_catalog = next((i for i, k in enumerate(kinds) if k == "catalog_item"), len(kinds))
    assert all(k != "catalog_item" for k in kinds[:first_catalog]) and first_catalog >= 2


@pytest.mark.slow
@pytest.mark.parametrize(("text", "language"), [("new laptop", "en"), ("besoin d'un ecran", "fr")])
async def test_asking_for_equipment_gets_the_catalog_first(
    components: Components, text: str, language: str
) -> None:
    hits = await components.knowledge.hybrid(SearchQuery(text, language, limit=5))  # type: ignore[arg-type]
    assert hits[0].entry.type == "catalog_item", [h.entry.group for h in hits]
