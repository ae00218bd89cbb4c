"""The widget sends the browser's time zone with each message: the bot's times are in it, named."""

from __future__ import annotations

import httpx
import pytest

from bot.kernel.formats import when
from bot.services import Services
from tests.connectors.web.conftest import MARIE, Mint
from tests.connectors.web.test_http import auth, start

pytestmark = pytest.mark.slow


async def test_a_user_in_new_york_asks_for_their_tickets_in_the_widget(
    web_client: httpx.AsyncClient, web_services: Services, mint: Mint
) -> None:
    token = mint()
    conversation = await start(web_client, token, "fr")
    path = f"/widget/api/conversations/{conversation['id']}/messages"
    bad = await web_client.post(
        path, json={"text": "/incident_status", "timezone": "Mars/Olympus"}, headers=auth(token)
    )
    assert bad.status_code == 422 and "Mars/Olympus" in bad.text
    ticket = await _ticket(web_services)
    sent = await web_client.post(
        path,
        json={"text": "/incident_status", "timezone": "America/New_York"},
        headers=auth(token),
    )
    text = sent.json()["replies"][0]["text"]
    assert f"ouvert le {when(ticket.created_at, 'fr', 'America/New_York')}." in text
    assert " HNE" in text or " EST" in text  # the zone is named


async def _ticket(services: Services):  # type: ignore[no-untyped-def]
    from bot.kernel.ticket_models import NewTicket

    return await services.tickets.create(
        NewTicket(
            kind="incident", requester=MARIE, channel="web", conversation_id=None,
            title="VPN drops", description="VPN drops", category="network", impact="person",
            urgency="low", priority="P5", language="fr",
        )
    )  # fmt: skip
