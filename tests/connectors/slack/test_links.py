"""Links to Guichet's pages reach Slack as absolute URLs under GUICHET_PUBLIC_URL."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.app.web import create_app
from bot.channels.addresses import ChannelAddressStore
from bot.kernel.domain import Link, Reply
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Services
from connectors.slack import translate
from tests.connectors.eventually import eventually
from tests.connectors.slack.fake_slack import (
    SIGNING_SECRET,
    TOKEN,
    FakeSlack,
    direct_message,
    event_callback,
    signed_headers,
)

pytestmark = pytest.mark.unit

PUBLIC_URL = "https://intranet.norvane.example/guichet"  # behind a path prefix
ANN = "ann.martin@norvane.example"
_SLACK_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")


def test_paths_become_absolute_and_other_links_stay() -> None:
    reply = Reply(
        text="Your ticket: [INC-104233](/tickets/INC-104233)",
        links=[
            Link(title="INC-104233", url="/tickets/INC-104233"),
            Link(title="Vendor guide", url="https://kb.vendor.example/vpn"),
        ],
    )
    section, links = translate.reply_message(reply, PUBLIC_URL + "/")["blocks"]
    assert section["text"]["text"] == f"Your ticket: <{PUBLIC_URL}/tickets/INC-104233|INC-104233>"
    assert links["text"]["text"] == (
        f"• <{PUBLIC_URL}/tickets/INC-104233|INC-104233>\n"
        "• <https://kb.vendor.example/vpn|Vendor guide>"
    )


def test_without_a_public_url_a_path_is_plain_text_not_a_link() -> None:
    reply = Reply(text="Created.", links=[Link(title="INC-104233", url="/tickets/INC-104233")])
    message = translate.reply_message(reply)
    assert [b["text"]["text"] for b in message["blocks"]] == [
        "Created.\nINC-104233: /tickets/INC-104233"
    ]


def slack_links(call_args: dict[str, Any]) -> dict[str, str]:
    """Title → URL of every link in a posted message's blocks."""
    blocks = call_args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    return {title: url for text in texts for url, title in _SLACK_LINK.findall(text)}


@pytest.fixture
async def app(services: Services, slack: FakeSlack) -> AsyncIterator[FastAPI]:
    settings = services.settings.model_copy(
        update={
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": f"{slack.url}/api/",
            "public_url": PUBLIC_URL,
        }
    )
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def guichet(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
    ) as client:
        yield client


async def say(guichet: httpx.AsyncClient, text: str) -> None:
    body = event_callback(direct_message("U0ANN", text))
    response = await guichet.post(
        "/slack/events",
        content=body,
        headers={"Content-Type": "application/json", **signed_headers(body)},
    )
    assert response.status_code == 200


async def open_ticket(services: Services, conversation_id: str | None = None) -> Ticket:
    return await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=ANN,
            channel="slack",
            conversation_id=conversation_id,
            title="VPN down",
            description="VPN down since 9",
            category="network",
            impact="person",
            urgency="high",
            priority="P3",
            language="en",
        )
    )


async def test_where_is_my_ticket_links_to_the_ticket_page(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    ticket = await open_ticket(services)
    await say(guichet, "where is my ticket?")
    [reply] = await asyncio.to_thread(slack.wait_for, "chat.postMessage", 1)
    assert ticket.reference in reply.args["text"]
    [(title, url)] = slack_links(reply.args).items()
    assert title == ticket.reference
    assert url.startswith(f"{PUBLIC_URL}/tickets/{ticket.reference}?signin=")


async def test_the_slack_user_follows_the_link_to_their_ticket_without_a_password(
    app: FastAPI, guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    """The link signs the Slack user in once (bot/auth/chat_links); another's ticket stays
    forbidden; the token does not work a second time in another browser."""
    ticket = await open_ticket(services)
    theirs = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester="bob@norvane.example",
            channel="web",
            conversation_id=None,
            title="Bob's printer",
            description="jammed",
            category="hardware",
            impact="person",
            urgency="low",
            priority="P4",
            language="en",
        )
    )
    await say(guichet, "where is my ticket?")
    [reply] = await asyncio.to_thread(slack.wait_for, "chat.postMessage", 1)
    url = next(iter(slack_links(reply.args).values()))
    path = url.removeprefix(PUBLIC_URL)  # the proxy in front of Guichet strips its prefix

    def browser() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet.test",
            headers={"Accept": "text/html"},
        )

    async with browser() as ann:
        page = await ann.get(path, follow_redirects=True)
        assert page.status_code == 200 and "VPN down since 9" in page.text
        assert str(page.url) == f"http://guichet.test/tickets/{ticket.reference}"
        assert (await ann.get(f"/tickets/{theirs.reference}")).status_code == 403
    async with browser() as someone_else:
        assert (await someone_else.get(path)).status_code == 410


async def test_a_pushed_update_links_to_the_ticket_page(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    await say(guichet, "hello")
    await asyncio.to_thread(slack.wait_for, "chat.postMessage", 1)
    await eventually(lambda: ChannelAddressStore(services.database).get(ANN, "slack"))
    ticket = await open_ticket(services)
    update = services.notifier.replies(ticket, status="in_progress")
    # queued, then delivered by the app's dispatcher through the Slack channel
    await services.notifier.notify(ticket, update)
    [_, pushed] = await asyncio.to_thread(slack.wait_for, "chat.postMessage", 2)
    assert pushed.args["channel"] == "D0ANN"
    [(title, url)] = slack_links(pushed.args).items()
    assert title == ticket.reference
    assert url.startswith(f"{PUBLIC_URL}/tickets/{ticket.reference}?signin=")
