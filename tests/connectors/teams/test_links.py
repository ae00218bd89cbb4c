"""Links to Guichet's pages reach Teams cards as absolute URLs under GUICHET_PUBLIC_URL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.channels.addresses import ChannelAddressStore
from bot.kernel.domain import Button, Link, Reply
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Services
from connectors.teams import translate
from tests.connectors.eventually import eventually
from tests.connectors.teams.conftest import _serve, teams_settings
from tests.connectors.teams.fake_microsoft import FakeConnector, TokenIssuer, personal_message

pytestmark = pytest.mark.unit

PUBLIC_URL = "https://intranet.norvane.example/guichet"  # behind a path prefix
ANN = "ann.martin@norvane.example"


def open_urls(card: dict[str, Any]) -> dict[str, str]:
    return {a["title"]: a["url"] for a in card["actions"] if a["type"] == "Action.OpenUrl"}


def test_paths_become_absolute_and_other_links_stay() -> None:
    reply = Reply(
        text="See [the VPN guide](/kb/en/vpn).",
        buttons=[Button(title="Yes", payload="/confirm_resolution")],
        links=[
            Link(title="INC-104233", url="/tickets/INC-104233"),
            Link(title="Vendor guide", url="https://kb.vendor.example/vpn"),
        ],
    )
    card = translate.card(reply, PUBLIC_URL + "/")
    assert card["body"][0]["text"] == f"See [the VPN guide]({PUBLIC_URL}/kb/en/vpn)."
    assert open_urls(card) == {
        "INC-104233": f"{PUBLIC_URL}/tickets/INC-104233",
        "Vendor guide": "https://kb.vendor.example/vpn",
    }
    assert card["actions"][0]["data"] == {"payload": "/confirm_resolution"}


def test_without_a_public_url_a_path_is_plain_text_not_a_button() -> None:
    reply = Reply(text="Created.", links=[Link(title="INC-104233", url="/tickets/INC-104233")])
    activity = translate.reply_activity(reply)
    assert activity.text == "Created.\nINC-104233: /tickets/INC-104233"
    assert not activity.attachments


@pytest.fixture
async def guichet(services: Services, issuer: TokenIssuer) -> AsyncIterator[httpx.AsyncClient]:
    settings = services.settings.model_copy(
        update={"teams": teams_settings(issuer), "public_url": PUBLIC_URL}
    )
    async for client in _serve(settings, services):
        yield client


async def say(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, text: str
) -> None:
    response = await guichet.post(
        "/api/messages",
        json=personal_message(connector.url, "29:1ann", text=text),
        headers={"Authorization": f"Bearer {issuer.activity_token(connector.url)}"},
    )
    assert response.status_code in {200, 202}


async def open_ticket(services: Services) -> Ticket:
    return await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=ANN,
            channel="teams",
            conversation_id=None,
            title="Printer jammed",
            description="The 3rd floor printer is jammed",
            category="hardware",
            impact="team",
            urgency="low",
            priority="P4",
            language="en",
        )
    )


async def test_where_is_my_ticket_card_opens_the_ticket_page(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    ticket = await open_ticket(services)
    await say(guichet, issuer, connector, "where is my ticket?")
    [reply] = await asyncio.to_thread(connector.wait_for, 1)
    [attachment] = reply.activity["attachments"]
    card = attachment["content"]
    assert ticket.reference in card["body"][0]["text"]
    # the link signs Ann in on her ticket page, once (bot/auth/chat_links)
    [(title, url)] = open_urls(card).items()
    assert title == ticket.reference
    assert url.startswith(f"{PUBLIC_URL}/tickets/{ticket.reference}?signin=")


async def test_a_pushed_update_opens_the_ticket_page(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    await say(guichet, issuer, connector, "hello")
    await asyncio.to_thread(connector.wait_for, 1)
    await eventually(lambda: ChannelAddressStore(services.database).get(ANN, "teams"))
    ticket = await open_ticket(services)
    update = services.notifier.replies(ticket, status="in_progress")
    # queued, then delivered by the app's dispatcher as a proactive message
    await services.notifier.notify(ticket, update)
    [_, pushed] = await asyncio.to_thread(connector.wait_for, 2)
    assert pushed.conversation_id == "a:1personal-1ann"
    [attachment] = pushed.activity["attachments"]
    [(title, url)] = open_urls(attachment["content"]).items()
    assert title == ticket.reference
    assert url.startswith(f"{PUBLIC_URL}/tickets/{ticket.reference}?signin=")
