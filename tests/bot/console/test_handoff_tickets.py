"""A hand-off is its own ticket: an agent taking and resolving it never touches the user's other
tickets (a pending order), and the ticket shows who has it (issue 14, item 1)."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from fastapi import FastAPI

from bot.console.desk import EscalationDesk
from bot.services import Services
from tests.bot.auth.helpers import bearer
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


async def _order_waiting_for_approval(services: Services, chat: Chat, language: str = "en") -> str:
    item = services.knowledge.catalog_item("monitor-24")  # the order
    assert item is not None and item.requires_approval
    await chat.say(f'/order_equipment{{"catalog_item": "{item.id}"}}')
    for field in [f for f in item.fields if f.required]:
        if field.type == "choice":
            await chat.press(getattr(field.options[0], language))
        else:
            await chat.say("Desk 4.12, Lyon")
    created = await chat.press("Yes" if language == "en" else "Oui")
    found = re.search(r"REQ-\d+", created)
    assert found, created
    return found.group(0)


async def test_an_agent_takes_and_resolves_a_hand_off_after_the_user_ordered_a_monitor(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", display_name="Zoe")
    chat = await Chat.start(services, user="max@norvane.example", channel="web")
    request = await _order_waiting_for_approval(services, chat)
    await chat.say("/human_handoff")
    (item,) = await EscalationDesk(services).queue()
    assert item.ticket_reference is None  # not the order: the hand-off has no ticket yet

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers=await bearer(services, role="agent", email="zoe@norvane.example"),
    ) as api:
        taken = (await api.post(f"/api/v1/escalations/{item.id}/take")).json()
        ticket = taken["ticket"]["ticket"]
        assert ticket["reference"] != request and ticket["kind"] == "incident"
        assert (ticket["status"], ticket["assignee"]) == ("assigned", "zoe@norvane.example")
        assert taken["ticket_reference"] == ticket["reference"]

        status = await chat.say("/incident_status")  # the agent has the chat: the bot is silent
        assert status == ""
        resolved = (await api.post(f"/api/v1/escalations/{item.id}/resolve")).json()
        assert resolved["ticket"]["ticket"]["reference"] == ticket["reference"]
        assert resolved["ticket"]["ticket"]["status"] == "resolved"

    order = await services.tickets.get(request)
    assert order.status == "pending" and order.details["approval"] == "waiting"
    assert order.resolved_at is None
    conversation = await services.conversations.get(chat.conversation_id)
    asked = [turn.text for turn in conversation.transcript if "work now" in turn.text]
    assert all(request not in text for text in asked)

    # the user asks after their tickets: the order still waits; the hand-off's names its agent
    status = await chat.say("/incident_status")
    assert request in status and "status pending" in status
    assert ticket["reference"] not in status  # resolved, so no longer open
    status = await chat.say(f'/incident_status{{"ticket_number": "{ticket["reference"]}"}}')
    assert "status resolved" in status and "Handled by Zoe." in status
    assert "zoe@norvane.example" not in status  # employees see the agent's name only


async def test_an_agent_takes_a_hand_off_after_the_user_opened_an_incident_in_the_chat(
    services: Services,
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", display_name="Zoe")
    _, secret = await services.auth.create_token("zoe@norvane.example", role="agent")
    zoe = await services.auth.principal_for_token(secret)
    chat = await Chat.start(services, user="ann@norvane.example", channel="web")
    await chat.say("my vpn keeps dropping")
    incident = await services.tickets.create(
        _incident(chat.conversation_id, "ann@norvane.example", "my vpn keeps dropping")
    )
    await chat.say("/human_handoff")
    desk = EscalationDesk(services)
    (item,) = await desk.queue()
    taken = await desk.take(item.id, zoe)
    assert taken.ticket is not None and taken.ticket.ticket.reference == incident.reference
    assert taken.ticket.ticket.assignee == "zoe@norvane.example"


def _incident(conversation_id: str, requester: str, title: str):  # type: ignore[no-untyped-def]
    from bot.kernel.ticket_models import NewTicket

    return NewTicket(
        kind="incident", requester=requester, channel="web", conversation_id=conversation_id,
        title=title, description=title, category="network", impact="person", urgency="low",
        priority="P5", language="en",
    )  # fmt: skip


async def test_an_agent_reads_the_buttons_the_user_pressed_and_their_problem(
    app: FastAPI, services: Services
) -> None:
    chat = await Chat.start(services, user="max@norvane.example", channel="web")
    await chat.say("Bonjour")
    await chat.say("my second screen stays black since this morning")
    request = await _order_waiting_for_approval(services, chat)
    await chat.say("/human_handoff")
    (item,) = await EscalationDesk(services).queue()
    detail = await EscalationDesk(services).detail(item.id)
    shown = dict(zip((t.text for t in detail.transcript), detail.pressed, strict=True))
    assert shown["/affirm"] == "Yes"
    assert detail.last_problem == "my second screen stays black since this morning"

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers={
            **await bearer(services, role="agent", email="zoe@norvane.example"),
            "Accept": "text/html",
            "Accept-Language": "fr",
        },
    ) as browser:
        page = unescape((await browser.get(f"/console/escalations/{item.id}")).text)
    transcript = page.split('id="transcript"')[1].split("</ol>")[0]
    assert re.search("Choisi\u00a0: (Yes|Oui)<", transcript)
    assert not re.search(r">\s*/(affirm|inform|order_equipment)", transcript)  # no raw payload
    assert ">employé<" in transcript and ">user<" not in transcript
    assert "my second screen stays black since this morning" in page.split("Problème")[1]
    assert request not in page.split('class="facts"')[1]  # the order is not the hand-off's ticket


async def test_an_agent_opens_a_hand_off_made_of_button_presses_only(services: Services) -> None:
    chat = await Chat.start(services, user="max@norvane.example", channel="web")
    await _order_waiting_for_approval(services, chat)
    await chat.say("/human_handoff")
    desk = EscalationDesk(services)
    (item,) = await desk.queue()
    _, secret = await services.auth.create_token("zoe@norvane.example", role="agent")
    zoe = await services.auth.principal_for_token(secret)
    taken = await desk.take(item.id, zoe)
    assert taken.ticket is not None and taken.last_problem == taken.ticket.ticket.title
    assert "/affirm" not in taken.ticket.ticket.description
    assert "Chose: Yes" in taken.ticket.ticket.description


async def test_a_french_user_presses_buttons_only_and_the_hand_off_is_titled_in_french(
    services: Services,
) -> None:
    chat = await Chat.start(services, user="max@norvane.example", channel="web", language="fr")
    await _order_waiting_for_approval(services, chat, language="fr")
    await chat.say("/human_handoff")
    desk = EscalationDesk(services)
    (item,) = await desk.queue()
    _, secret = await services.auth.create_token("zoe@norvane.example", role="agent")
    taken = await desk.take(item.id, await services.auth.principal_for_token(secret))
    assert taken.ticket is not None
    assert taken.ticket.ticket.title == "Conversation transmise à un technicien (Demande)"
    # what they pressed, in their words: the suggestion's payload named, the speakers in French
    chose = "Choisi\u00a0: Commander du matériel\u00a0: Écran 24 pouces (Dell P2425H)"
    description = taken.ticket.ticket.description
    assert f"employé\u00a0: {chose}" in description.splitlines()
    assert "order equipment" not in description and "user:" not in description
    assert "Commander du matériel\u00a0: Écran 24 pouces (Dell P2425H)" in taken.pressed
