"""`POST /api/v1/nlu/parse` answers Rasa's `/model/parse` shape, plus the language."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.slow


async def test_parse_has_rasas_shape(client: httpx.AsyncClient) -> None:
    text = "statut de INC-104233 svp, ça bloque toute l'équipe"
    response = await client.post("/api/v1/nlu/parse", json={"text": text})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"text", "intent", "entities", "intent_ranking", "language"}
    assert body["text"] == text and body["language"] == "fr"
    assert body["intent"]["name"] == "incident_status"
    assert 0.4 <= body["intent"]["confidence"] <= 1.0
    assert body["intent_ranking"][0] == body["intent"]
    assert len(body["intent_ranking"]) == 10
    found = {(e["entity"], e["value"]) for e in body["entities"]}
    assert {("ticket_number", "INC-104233"), ("impact", "team")} <= found
    for entity in body["entities"]:
        assert set(entity) == {"entity", "start", "end", "value", "extractor"}
        assert text[entity["start"] : entity["end"]]


@pytest.mark.parametrize(
    ("text", "intent", "language"),
    [
        ("", "nlu_fallback", None),
        ("🙂🙂🙂", None, None),
        ("x" * 10_000, None, None),
        ("¿dónde está la cafetería de la oficina?", "out_of_scope", "es"),
        ("Mein Drucker druckt seit gestern nicht mehr", "out_of_scope", "de"),
    ],
)
async def test_bad_input_is_a_valid_result(
    client: httpx.AsyncClient, text: str, intent: str | None, language: str | None
) -> None:
    response = await client.post("/api/v1/nlu/parse", json={"text": text})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["text"] == text
    if intent:
        assert body["intent"]["name"] == intent
    if language:
        assert body["language"] == language


async def test_language_hint_and_validation(client: httpx.AsyncClient) -> None:
    hinted = await client.post("/api/v1/nlu/parse", json={"text": "ok", "language": "fr"})
    assert hinted.json()["language"] == "fr"
    too_long = await client.post("/api/v1/nlu/parse", json={"text": "x" * 20_001})
    assert too_long.status_code == 422
    wrong = await client.post("/api/v1/nlu/parse", json={"text": "hi", "language": "es"})
    assert wrong.status_code == 422
