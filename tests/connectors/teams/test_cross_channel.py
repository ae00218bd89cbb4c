"""One user, every channel: a ticket opened in Slack is followed up in Teams, where the user
talked last, and answered there."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.channels.addresses import ChannelAddressStore
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from tests.connectors.eventually import eventually
from tests.connectors.slack.fake_slack import (
    FakeSlack,
    direct_message,
    event_callback,
    signed_headers,
)
from tests.connectors.teams.fake_microsoft import FakeConnector, TokenIssuer, personal_message

pytestmark = pytest.mark.unit

ANN = "ann.martin@norvane.example"  # U0ANN in Slack, 29:1ann in Teams


async def test_ticket_from_slack_is_followed_in_teams(
    guichet_everywhere: httpx.AsyncClient,
    slack: FakeSlack,
    connector: FakeConnector,
    issuer: TokenIssuer,
    services: Services,
) -> None:
    guichet = guichet_everywhere
    body = event_callback(direct_message("U0ANN", "hello"))
    headers = {"Content-Type": "application/json", **signed_headers(body)}
    assert (await guichet.post("/slack/events", content=body, headers=headers)).status_code == 200
    await asyncio.to_thread(slack.wait_for, "chat.postMessage", 1)
    addresses = ChannelAddressStore(services.database)
    await eventually(lambda: addresses.get(ANN, "slack"))
    in_slack = await services.conversations.latest_for_user(channel="slack", user_id=ANN)
    assert in_slack is not None
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=ANN,
            channel="slack",
            conversation_id=in_slack.id,
            title="VPN drops every hour",
            description="The VPN drops every hour since Monday",
            category="network",
            impact="person",
            urgency="low",
            priority="P4",
            language="en",
        )
    )
    assert ticket.reference

    # Ann now talks to Guichet in Teams: Teams becomes the channel she used last
    token = issuer.activity_token(connector.url)
    hello = personal_message(connector.url, "29:1ann", text="hello")
    assert (
        await guichet.post(
            "/api/messages", json=hello, headers={"Authorization": f"Bearer {token}"}
        )
    ).status_code in {200, 202}
    await asyncio.to_thread(connector.wait_for, 1)

    # the service desk resolves the ticket: the update is pushed to Teams, proactively
    for status in ("in_progress", "resolved"):
        ticket = await services.tickets.transition(ticket.reference, status, actor="bo@it")  # type: ignore[arg-type]
    await services.notifier.notify(ticket, services.notifier.replies(ticket, status="resolved"))
    posted = await asyncio.to_thread(connector.wait_for, 2)
    update = posted[1]
    assert update.conversation_id == "a:1personal-1ann"
    assert update.reply_to != hello["id"]  # a new message (the SDK's continuation), not a reply
    card = update.activity["attachments"][0]["content"]
    assert ticket.reference in card["body"][0]["text"]
    works = next(
        a for a in card["actions"] if a["data"]["payload"].startswith("/confirm_resolution")
    )
    assert len(slack.of("chat.postMessage")) == 1  # nothing more in Slack

    # Ann answers in Teams, with the card's button: the ticket opened in Slack is closed
    clicked = personal_message(connector.url, "29:1ann", value=works["data"])
    response = await guichet.post(
        "/api/messages", json=clicked, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code in {200, 202}
    closed = await services.tickets.store.get(ticket.reference)
    assert closed is not None and closed.status == "closed"
