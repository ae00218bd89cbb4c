"""An approver rejects an order from the Adaptive Card Teams shows them, with a reason."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.channels.addresses import ChannelAddressStore
from bot.services import Services
from tests.bot.dialogue.chat import Chat
from tests.connectors.eventually import eventually
from tests.connectors.teams.fake_microsoft import (
    MEMBERS,
    FakeConnector,
    Member,
    Posted,
    TokenIssuer,
    personal_message,
)
from tests.connectors.teams.test_teams import post

pytestmark = pytest.mark.slow

CLAIRE, JOHN = "claire.martin@norvane.example", "john.smith@norvane.example"


def card_of(posted: Posted) -> dict[str, Any]:
    [attachment] = posted.activity["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    content: dict[str, Any] = attachment["content"]
    return content


async def test_the_manager_rejects_from_the_teams_card_with_a_reason(
    guichet: httpx.AsyncClient,
    issuer: TokenIssuer,
    connector: FakeConnector,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MEMBERS, "29:1claire", Member("29:1claire", "Claire Martin", CLAIRE))
    token = issuer.activity_token(connector.url)
    await post(
        guichet,
        personal_message(connector.url, "29:1claire", text="bonjour", locale="fr-FR"),
        token,
    )
    await asyncio.to_thread(connector.wait_for, 1)
    await eventually(lambda: ChannelAddressStore(services.database).get(CLAIRE, "teams"))

    john = await Chat.start(services, user=JOHN, language="en", channel="web")
    await john.say('/order_equipment{"catalog_item": "monitor-24"}')
    await john.press("Lyon office")
    await john.press("Yes")
    reference = john.replies[-1].links[0].url.removeprefix("/tickets/")

    # the Adaptive Card, in the language Claire speaks in Teams
    asked = card_of((await asyncio.to_thread(connector.wait_for, 2))[1])
    assert "John Smith" in asked["body"][0]["text"] and reference in asked["body"][0]["text"]
    actions = {a["title"]: a for a in asked["actions"]}
    assert actions["Approuver"]["type"] == "Action.Submit"
    reject = actions["Refuser"]["data"]

    clicked = personal_message(connector.url, "29:1claire", value=reject, locale="fr-FR")
    await post(guichet, clicked, token)
    why = card_of((await asyncio.to_thread(connector.wait_for, 3))[2])
    assert reference in why["body"][0]["text"]
    assert (await services.tickets.get(reference)).status == "pending"

    reason = "Budget gelé jusqu'en janvier"
    await post(guichet, personal_message(connector.url, "29:1claire", text=reason), token)
    done = (await asyncio.to_thread(connector.wait_for, 4))[3].activity
    assert "vous avez refusé" in str(done.get("text"))
    rejected = await services.tickets.get(reference)
    assert rejected.status == "rejected" and rejected.details["approval_reason"] == reason
    assert rejected.details["approver_decision_name"] == "Claire Martin"
    history = await services.tickets.store.history(reference)
    assert [e.actor for e in history if e.kind == "approval"] == [CLAIRE]
    conversation = await services.conversations.get(john.conversation_id)
    told = conversation.transcript[-1].text
    assert "not approved by Claire Martin" in told and reason in told
