"""The HTTP API over real HTTP semantics (httpx against the ASGI app, lifespan included)."""

from __future__ import annotations

import httpx
import pytest

from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.services import Services
from bot.storage.database import Database

pytestmark = pytest.mark.slow


async def test_conversation_round_trip(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/conversations", json={"user": "eve@norvane.example"})
    assert created.status_code == 201
    conversation = created.json()
    assert conversation["language"] == "en" and conversation["user"] == "eve@norvane.example"

    answer = await client.post(
        f"/api/v1/conversations/{conversation['id']}/messages",
        json={"text": "comment ajouter l'imprimante FollowMe ?"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["language"] == "fr"
    assert body["replies"][0]["links"][0]["url"] == "/kb/fr/printer-add"
    assert body["replies"][1]["buttons"][0]["payload"] == "/affirm"

    transcript = (await client.get(f"/api/v1/conversations/{conversation['id']}")).json()
    roles = [turn["role"] for turn in transcript["transcript"]]
    assert roles == ["user", "bot", "bot"]
    assert transcript["transcript"][0]["intent"] == "printer_problem"
    assert transcript["transcript"][0]["at"]


async def test_ticket_through_the_api_in_english(
    client: httpx.AsyncClient, services: Services
) -> None:
    conversation = (
        await client.post("/api/v1/conversations", json={"user": "finn@norvane.example"})
    ).json()
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    steps = [
        "hi",
        "I want to open a ticket",
        "SAP shows error 500 when I post an invoice",
        '/inform{"impact": "team"}',
        '/inform{"urgency": "critical"}',
        "/affirm",
    ]
    for text in steps:
        response = await client.post(url, json={"text": text})
        assert response.status_code == 200, response.text
    final = response.json()["replies"][0]["text"]
    assert "P2" in final
    (ticket,) = await services.tickets.store.open_for("finn@norvane.example")
    assert ticket.description == "SAP shows error 500 when I post an invoice"


async def test_unknown_conversation_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/conversations/nope/messages", json={"text": "hi"})
    assert response.status_code == 404
    assert response.json()["error"] == "ConversationNotFound"
    assert "nope" in response.json()["detail"]
    assert (await client.get("/api/v1/conversations/nope")).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "user"),
        ({"user": ""}, "user"),
        ({"user": "x", "language": "de"}, "language"),
        ({"user": "x", "colour": "blue"}, "colour"),
    ],
)
async def test_malformed_conversation_names_the_field(
    client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await client.post("/api/v1/conversations", json=body)
    assert response.status_code == 422
    assert any(field in where.split(".") for where in response.json()["fields"])


async def test_malformed_message_is_422(client: httpx.AsyncClient) -> None:
    conversation = (await client.post("/api/v1/conversations", json={"user": "x"})).json()
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    too_long = await client.post(url, json={"text": "a" * 4001})
    assert too_long.status_code == 422 and "body.text" in too_long.json()["fields"]
    not_json = await client.post(
        url, content=b"{oops", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


async def test_rasa_rest_channel_format(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/webhooks/rest/webhook", json={"sender": "gus@norvane.example", "message": "hello"}
    )
    assert response.status_code == 200
    messages = response.json()
    assert messages[0]["recipient_id"] == "gus@norvane.example"
    assert "Guichet" in messages[0]["text"]
    assert {"title", "payload"} <= set(messages[0]["buttons"][0])
    # the same sender continues the same conversation
    await client.post(
        "/webhooks/rest/webhook", json={"sender": "gus@norvane.example", "message": "open a ticket"}
    )
    follow_up = await client.post(
        "/webhooks/rest/webhook",
        json={"sender": "gus@norvane.example", "message": "my webcam is not detected in Teams"},
    )
    assert "Who is affected" in follow_up.json()[0]["text"]
    bad = await client.post("/webhooks/rest/webhook", json={"message": "hello"})
    assert bad.status_code == 422 and "body.sender" in bad.json()["fields"]


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    assert "use-multilingual" in ready.json()["checks"]["index"]
    assert (await client.get("/docs")).status_code == 200
    assert "/api/v1/conversations" in (await client.get("/openapi.json")).json()["paths"]


async def test_readiness_fails_when_the_database_is_gone(
    client: httpx.AsyncClient, services: Services
) -> None:
    working = services.database
    services.database = Database("postgresql+psycopg://nobody@127.0.0.1:1/none")
    try:
        response = await client.get("/readyz")
    finally:
        await services.database.close()
        services.database = working
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")
    assert (await client.get("/readyz")).status_code == 200


async def test_rasa_rest_channel_accepts_json_without_content_type(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/webhooks/rest/webhook",
        content=b'{"sender": "h1", "message": "bonjour"}',
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and "Bonjour" in response.json()[0]["text"]
    broken = await client.post("/webhooks/rest/webhook", content=b"not json")
    assert broken.status_code == 422


@pytest.mark.parametrize(
    ("metadata", "language"),
    [({"language": "fr-FR"}, "fr"), ({"locale": "en_GB"}, "en"), ({}, "en")],
)
async def test_rasa_rest_channel_takes_the_clients_language_until_the_user_types(
    client: httpx.AsyncClient, metadata: dict[str, str], language: Language
) -> None:
    """A button first (no text to detect a language from) is answered in the client's language."""
    sender = f"lea-{language}-{len(metadata)}@norvane.example"
    first = await client.post(
        "/webhooks/rest/webhook",
        json={"sender": sender, "message": "/open_incident", "metadata": metadata},
    )
    assert first.status_code == 200
    assert first.json()[-1]["text"] == t("Please describe the problem in a few words.", language)
    typed = await client.post(
        "/webhooks/rest/webhook",
        json={
            "sender": sender,
            "message": "My laptop screen flickers when docked",
            "metadata": metadata,
        },
    )
    assert typed.json()[-1]["text"] == t("Who is affected?", "en")  # typed English wins
