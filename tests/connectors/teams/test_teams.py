"""Activities signed by a local token issuer reach the real Agents SDK adapter; replies go to a
local Bot Connector service."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from bot.channels.addresses import ChannelAddressStore
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from tests.connectors.teams.fake_microsoft import (
    APP_ID,
    CONNECTOR_AUDIENCE,
    FakeConnector,
    TokenIssuer,
    app_installed,
    new_key,
    personal_message,
)

pytestmark = pytest.mark.unit


async def post(
    guichet: httpx.AsyncClient, activity: dict[str, object], token: str | None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await guichet.post("/api/messages", json=activity, headers=headers)


async def test_only_activities_with_a_valid_token_are_taken(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    activity = personal_message(connector.url, "29:1ann", text="hello")
    forged = issuer.activity_token(connector.url, key=new_key())  # same kid, another key
    expired = issuer.activity_token(connector.url, lifetime=-600)  # past the 5-minute leeway
    other_bot = issuer.activity_token(connector.url, aud="00000000-0000-0000-0000-000000000000")
    other_issuer = issuer.activity_token(connector.url, iss="https://evil.example")
    unknown_key = issuer.activity_token(connector.url, kid="someone-elses-key")
    refused = [
        await post(guichet, activity, token)
        for token in (None, "", "not-a-jwt", forged, expired, other_bot, other_issuer, unknown_key)
    ]
    assert [r.status_code for r in refused] == [401] * 8
    basic = await guichet.post(
        "/api/messages", json=activity, headers={"Authorization": "Basic YTpi"}
    )
    assert basic.status_code == 401
    await asyncio.sleep(0.3)
    assert connector.posted == [] and connector.member_lookups == []


async def test_personal_chat_message_is_answered_with_a_card(
    guichet: httpx.AsyncClient,
    issuer: TokenIssuer,
    connector: FakeConnector,
    services: Services,
) -> None:
    activity = personal_message(connector.url, "29:1ann", text="<at>Guichet</at> hello")
    response = await post(guichet, activity, issuer.activity_token(connector.url))
    assert response.status_code in {200, 202}
    [reply] = await asyncio.to_thread(connector.wait_for, 1)
    assert reply.conversation_id == "a:1personal-1ann"
    assert reply.reply_to == activity["id"]
    assert reply.token_claims["aud"] == CONNECTOR_AUDIENCE and reply.token_claims["appid"] == APP_ID
    [card] = reply.activity["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "Guichet" in card["content"]["body"][0]["text"]
    submits = {
        a["data"]["payload"] for a in card["content"]["actions"] if a["type"] == "Action.Submit"
    }
    assert {"/open_incident", "/human_handoff"} <= submits
    assert connector.member_lookups == ["29:1ann"]
    conversation = await services.conversations.latest_for_user(
        channel="teams", user_id="ann.martin@norvane.example"
    )
    assert conversation is not None and conversation.transcript[0].text == "hello"
    address = await ChannelAddressStore(services.database).last_used("ann.martin@norvane.example")
    assert address is not None and address.channel == "teams"
    assert address.address["conversation"]["id"] == "a:1personal-1ann"
    assert address.address["serviceUrl"] == connector.url


async def test_card_button_sends_its_payload_to_the_engine(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    token = issuer.activity_token(connector.url)
    await post(guichet, personal_message(connector.url, "29:1bea", text="bonjour"), token)
    await asyncio.to_thread(connector.wait_for, 1)
    clicked = personal_message(
        connector.url, "29:1bea", value={"payload": "/human_handoff"}, locale="fr-FR"
    )
    started = time.monotonic()
    response = await post(guichet, clicked, token)
    assert response.status_code in {200, 202}
    assert time.monotonic() - started < 15  # the Bot Connector's limit
    posted = await asyncio.to_thread(connector.wait_for, 2)
    conversation = await services.conversations.latest_for_user(
        channel="teams", user_id="bea.durand@norvane.example"
    )
    assert conversation is not None
    assert [t.text for t in conversation.transcript if t.role == "user"] == [
        "bonjour",
        "/human_handoff",
    ]
    assert conversation.transcript[2].intent == "human_handoff"
    assert len(posted) >= 2


async def test_activity_naming_a_foreign_service_url_is_refused(
    guichet_restricted: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    """A valid token does not let an activity send the bot's replies (and token) elsewhere."""
    tokens_before = len(issuer.issued)
    activity = personal_message(connector.url, "29:1ann", text="hello")
    response = await post(guichet_restricted, activity, issuer.activity_token(connector.url))
    assert response.status_code == 401
    await asyncio.sleep(0.3)
    assert connector.posted == [] and len(issuer.issued) == tokens_before


async def test_update_waits_while_the_bot_connector_is_down(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    token = issuer.activity_token(connector.url)
    await post(guichet, personal_message(connector.url, "29:1ann", text="hello"), token)
    await asyncio.to_thread(connector.wait_for, 1)
    conversation = await services.conversations.latest_for_user(
        channel="teams", user_id="ann.martin@norvane.example"
    )
    assert conversation is not None
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester="ann.martin@norvane.example",
            channel="teams",
            conversation_id=conversation.id,
            title="Printer jammed",
            description="The 3rd floor printer is jammed",
            category="hardware",
            impact="team",
            urgency="low",
            priority="P4",
            language="en",
        )
    )
    connector.down = True
    await services.notifier.notify(ticket, services.notifier.replies(ticket, status="in_progress"))
    await asyncio.sleep(1.0)  # several rounds of the dispatcher, all refused
    assert len(connector.posted) == 1
    connector.down = False
    [_, update] = await asyncio.to_thread(connector.wait_for, 2)
    [card] = update.activity["attachments"]  # the update, with a button to the ticket's page
    assert ticket.reference and ticket.reference in card["content"]["body"][0]["text"]
    await asyncio.sleep(0.6)
    assert len(connector.posted) == 2  # delivered once


async def test_installing_the_app_greets_and_records_where_the_user_is(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    installed = app_installed(connector.url, "29:1bea")
    response = await post(guichet, installed, issuer.activity_token(connector.url))
    assert response.status_code in {200, 202}
    [greeting] = await asyncio.to_thread(connector.wait_for, 1)
    card = greeting.activity["attachments"][0]["content"]
    assert "Guichet" in card["body"][0]["text"] and card["actions"]
    address = await ChannelAddressStore(services.database).get(
        "bea.durand@norvane.example", "teams"
    )
    assert address is not None and address.address["conversation"]["id"] == "a:1personal-1bea"


async def test_signed_but_malformed_activity_is_a_400(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    token = issuer.activity_token(connector.url)
    headers = {"Authorization": f"Bearer {token}"}
    not_json = await guichet.post("/api/messages", content=b"hello", headers=headers)
    no_conversation = await guichet.post(
        "/api/messages", json={"type": "message", "text": "hello"}, headers=headers
    )
    assert (not_json.status_code, no_conversation.status_code) == (400, 400)
    assert "conversation" in no_conversation.text
