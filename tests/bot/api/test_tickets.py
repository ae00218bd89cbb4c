"""The tickets API: create, read with history, list, transitions (409 with the allowed ones),
comments reaching the requester's conversation."""

from __future__ import annotations

import httpx
import pytest

from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


NEW = {
    "requester": "ann@norvane.example",
    "title": "VPN down in Lyon",
    "description": "Nobody on the 3rd floor can connect",
    "category": "network",
    "impact": "team",
    "urgency": "high",
}


async def test_create_read_list(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/tickets", json=NEW)
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["reference"].startswith("INC-") and ticket["priority"] == "P3"
    assert ticket["status"] == "new" and ticket["sync"] == []
    assert ticket["breaches"] == {"first_response": False, "resolution": False}
    assert "assigned" in ticket["allowed_transitions"]
    detail = (await client.get(f"/api/v1/tickets/{ticket['reference']}")).json()
    assert detail["history"][0]["kind"] == "created" and detail["comments"] == []
    await client.post("/api/v1/tickets", json={**NEW, "requester": "bob@norvane.example"})
    mine = await client.get("/api/v1/tickets", params={"requester": "ann@norvane.example"})
    assert [t["reference"] for t in mine.json()] == [ticket["reference"]]
    none_closed = await client.get("/api/v1/tickets", params={"status": "closed"})
    assert none_closed.json() == []


async def test_transitions_and_conflicts(client: httpx.AsyncClient) -> None:
    reference = (await client.post("/api/v1/tickets", json=NEW)).json()["reference"]
    url = f"/api/v1/tickets/{reference}/transitions"
    assert (await client.post(url, json={"to": "in_progress", "actor": "agent:zoe"})).json()[
        "status"
    ] == "in_progress"
    refused = await client.post(url, json={"to": "closed", "actor": "agent:zoe"})
    assert refused.status_code == 409
    assert refused.json()["error"] == "InvalidTransition"
    assert "resolved" in refused.json()["fields"]["allowed"]
    bad = await client.post(url, json={"to": "done"})
    assert bad.status_code == 422 and "body.to" in bad.json()["fields"]
    assert (
        await client.post("/api/v1/tickets/INC-999999/transitions", json={"to": "assigned"})
    ).status_code == 404


async def test_agent_updates_reach_the_requester_conversation(
    client: httpx.AsyncClient, services: Services
) -> None:
    chat = await Chat.start(services, user="carl@norvane.example", language="fr")
    await chat.say("je veux ouvrir un ticket, mon écran externe clignote sans arrêt")
    await chat.press("Moi seulement")
    await chat.press("Ça peut attendre")
    reference = (await chat.press("Oui")).split("ticket ")[1].split()[0]
    comment = await client.post(
        f"/api/v1/tickets/{reference}/comments",
        json={
            "body": "Pouvez-vous essayer un autre câble ?",
            "author": "agent:zoe",
            "from_agent": True,
        },
    )
    assert comment.status_code == 201
    assert comment.json()["first_response_at"] is not None
    assert comment.json()["comments"][0]["body"] == "Pouvez-vous essayer un autre câble ?"
    await client.post(
        f"/api/v1/tickets/{reference}/transitions", json={"to": "resolved", "actor": "agent:zoe"}
    )
    conversation = await services.conversations.get(chat.conversation_id)
    texts = [turn.text for turn in conversation.transcript[-2:]]
    assert "Pouvez-vous essayer un autre câble" in texts[0]
    assert "est résolu" in texts[1]
    assert "Non, toujours en panne" in [b.title for b in conversation.transcript[-1].buttons]
    # the user answers in chat: "no" reopens the ticket
    assert "rouvert" in await chat.say("non")
    assert (await services.tickets.store.get(reference)).status == "reopened"
    await client.post(
        f"/api/v1/tickets/{reference}/transitions", json={"to": "resolved", "actor": "agent:zoe"}
    )
    assert "clôturé" in await chat.press_pushed("Oui, ça marche")
    assert (await services.tickets.store.get(reference)).status == "closed"


async def test_an_agent_replies_by_api_and_the_employee_reads_their_name_not_their_address(
    client: httpx.AsyncClient, services: Services
) -> None:
    await services.auth.create_user("zoe.martin@norvane.example", role="agent")
    chat = await Chat.start(services, user="carl@norvane.example", language="en")
    await chat.say("please open a ticket: my external screen keeps flickering")
    await chat.press("Only me")
    await chat.press("It can wait")
    reference = (await chat.press("Yes")).split("Ticket ")[1].split()[0]
    comment = await client.post(
        f"/api/v1/tickets/{reference}/comments",
        json={"body": "Try another cable?", "author": "zoe.martin@norvane.example",
              "from_agent": True},
    )  # fmt: skip
    assert comment.status_code == 201, comment.text
    conversation = await services.conversations.get(chat.conversation_id)
    said = conversation.transcript[-1].text
    assert "from Zoe Martin: Try another cable?" in said and "@" not in said


async def test_malformed_ticket_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/tickets", json={**NEW, "impact": "galaxy"})
    assert response.status_code == 422 and "body.impact" in response.json()["fields"]
    response = await client.post(
        "/api/v1/tickets", json={k: v for k, v in NEW.items() if k != "requester"}
    )
    assert "body.requester" in response.json()["fields"]
