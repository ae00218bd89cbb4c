"""The Rasa action-server protocol on `POST /webhook`, over HTTP to the real app."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.kernel.i18n import t
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from bot.settings import Environment
from bot.settings.rasa_actions import RasaActionSettings
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.domain import actions_domain
from tests.connectors.rasa_actions.calls import RasaConversation

pytestmark = pytest.mark.slow
USER = "marie.dupont@norvane.example"


@pytest.fixture
def domain(services: Services) -> dict[str, Any]:
    return actions_domain(RasaBridge(services))


async def run(http: httpx.AsyncClient, rasa: RasaConversation, action: str) -> dict[str, Any]:
    """Call `action` as Rasa does, check the 200, and apply the answer to the tracker."""
    response = await http.post("/webhook", json=rasa.call(action))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"events", "responses"}
    rasa.apply(action, body)
    return body


def slot_sets(body: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in body["events"] if e["event"] == "slot"}


async def test_a_ticket_created_through_the_form(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    rasa = RasaConversation(USER, domain)
    rasa.user("Please open a ticket: my laptop screen flickers when docked", "open_incident")
    started = await run(http, rasa, "action_create_ticket")
    assert started["responses"] == []
    assert slot_sets(started) == {
        "description": "My laptop screen flickers when docked",
        "category": "hardware",  # proposed (a laptop named); the user confirms or changes it
    }
    assert started["events"][-1] == {
        "event": "followup",
        "timestamp": None,
        "name": "create_ticket_form",
    }

    # The form asks for the impact with Guichet's question and buttons.
    rasa.action("create_ticket_form")
    rasa.loop("create_ticket_form", "impact")
    asked = await run(http, rasa, "action_ask_impact")
    assert asked["responses"][0]["text"] == t("Who is affected?", "en")
    assert {b["payload"] for b in asked["responses"][0]["buttons"]} == {
        '/inform{"impact": "person"}',
        '/inform{"impact": "team"}',
        '/inform{"impact": "organisation"}',
    }

    # What the form extracted is normalised by Guichet: a label in French, a wrong urgency.
    rasa.user("Toute l'entreprise", "inform")
    rasa.set_slots(impact="Toute l'entreprise", urgency="whenever")
    validated = await run(http, rasa, "validate_create_ticket_form")
    assert slot_sets(validated) == {"impact": "organisation", "urgency": None}
    rasa.user("/inform", "inform", {"urgency": "critical"})
    rasa.set_slots(urgency="critical")
    assert slot_sets(await run(http, rasa, "validate_create_ticket_form")) == {
        "urgency": "critical"
    }

    # Marie's devices are in the inventory: which one is it?
    rasa.loop("create_ticket_form", "asset")
    which = (await run(http, rasa, "action_ask_asset"))["responses"][0]
    assert which["text"] == "Which of your devices is it?"  # her laptop and her monitor
    [laptop] = [b["payload"] for b in which["buttons"] if b["title"] == "Latitude 5550, PC-04512"]
    device = json.loads(laptop.removeprefix("/inform"))["asset"]
    rasa.user(laptop, "inform", {"asset": device})
    rasa.set_slots(asset=device)
    assert slot_sets(await run(http, rasa, "validate_create_ticket_form")) == {"asset": device}

    rasa.loop("create_ticket_form", "confirmed")
    review = await run(http, rasa, "action_ask_confirmed")
    confirmation = review["responses"][-1]
    assert "My laptop screen flickers when docked" in confirmation["text"]
    assert "Latitude 5550, PC-04512" in confirmation["text"]
    assert "Shall I go ahead?" in confirmation["text"]
    assert [b["payload"] for b in confirmation["buttons"]] == ["/affirm", "/deny"]

    rasa.user("/affirm", "affirm")
    rasa.set_slots(confirmed=True)
    await run(http, rasa, "validate_create_ticket_form")
    rasa.action("create_ticket_form")
    rasa.loop(None)
    created = await run(http, rasa, "action_create_ticket")
    text = created["responses"][0]["text"]
    assert text.startswith("Ticket INC-") and "priority P1" in text
    cleared = slot_sets(created)
    assert cleared["description"] is None and cleared["confirmed"] is None

    [ticket] = await services.tickets.store.open_for(USER)
    assert ticket.reference in text
    assert (ticket.channel, ticket.impact, ticket.urgency, ticket.priority) == (
        "rasa",
        "organisation",
        "critical",
        "P1",
    )
    assert ticket.description == (
        "My laptop screen flickers when docked\n\nDevice: Latitude 5550, PC-04512"
    )
    assert ticket.details["asset"]["label"] == "Latitude 5550, PC-04512"
    assert ticket.conversation_id is not None
    conversation = await services.conversations.get(ticket.conversation_id)
    said = [turn.text for turn in conversation.transcript]
    assert "Please open a ticket: my laptop screen flickers when docked" in said
    assert t("Who is affected?", "en") in said  # the bot's question, copied from the tracker


async def test_no_to_the_summary_asks_again_for_the_proposals(
    http: httpx.AsyncClient, domain: dict[str, Any]
) -> None:
    rasa = RasaConversation(USER, domain)
    rasa.loop("create_ticket_form", "confirmed")
    rasa.set_slots(description="VPN drops", impact="team", urgency="high", category="network")
    rasa.user("/deny", "deny")
    rasa.set_slots(confirmed=False)
    body = await run(http, rasa, "validate_create_ticket_form")
    assert slot_sets(body) == dict.fromkeys(["confirmed", "impact", "urgency", "category"])
    assert body["responses"][0]["text"] == t("What would you like to change?", "en")


async def test_french_from_the_message_metadata(
    http: httpx.AsyncClient, domain: dict[str, Any]
) -> None:
    rasa = RasaConversation(USER, domain)
    rasa.user("où en sont mes tickets ?", "incident_status", metadata={"language": "fr"})
    body = await run(http, rasa, "action_ticket_status")
    assert body["responses"][0]["text"] == t("You have no open ticket.", "fr")


async def test_password_reset_with_a_wrong_then_the_right_code(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    inbox = services.self_service.demo_inbox
    assert inbox is not None
    rasa = RasaConversation(USER, domain)
    rasa.user("I forgot my password", "password_reset")
    started = await run(http, rasa, "action_password_reset")
    assert "6-digit code" in started["responses"][0]["text"]
    assert started["events"][-1]["name"] == "password_reset_form"
    sent = inbox.messages[-1].message.code

    rasa.action("password_reset_form")
    rasa.loop("password_reset_form", "code")
    rasa.user("the code is 12345", None)
    rasa.set_slots(code="the code is 12345")
    assert slot_sets(await run(http, rasa, "validate_password_reset_form")) == {"code": None}
    wrong = "000000" if sent != "000000" else "111111"
    rasa.user(f"it is {wrong}", None)
    rasa.set_slots(code=f"it is {wrong}")
    assert slot_sets(await run(http, rasa, "validate_password_reset_form")) == {"code": wrong}
    rasa.action("password_reset_form")
    rasa.loop(None)
    refused = await run(http, rasa, "action_password_reset")
    assert refused["responses"][0]["text"] == "That code is not right. 2 attempts left."
    assert slot_sets(refused) == {"code": None}
    assert refused["events"][-1]["name"] == "password_reset_form"  # asks again

    rasa.loop("password_reset_form", "code")
    rasa.user(sent, None)
    rasa.set_slots(code=sent)
    await run(http, rasa, "validate_password_reset_form")
    rasa.action("password_reset_form")
    rasa.loop(None)
    done = await run(http, rasa, "action_password_reset")
    assert done["responses"][0]["text"].startswith(
        t(
            "You're verified. Choose a new password with this one-time link (valid 15 minutes):",
            "en",
        )
    )
    conversation = await services.conversations.latest_for_user(channel="rasa", user_id=USER)
    assert conversation is not None
    assert all(sent not in turn.text and wrong not in turn.text for turn in conversation.transcript)


async def test_the_requester_confirms_the_resolution(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=USER,
            channel="rasa",
            conversation_id=None,
            title="Printer jammed",
            description="Printer jammed",
            category="hardware",
            impact="person",
            urgency="low",
            priority="P5",
            language="en",
        )
    )
    await services.tickets.transition(ticket.reference, "resolved", actor="agent")
    rasa = RasaConversation(USER, domain)
    number = ticket.reference.split("-")[1]
    rasa.user(f"yes {number} works now", "confirm_resolution", {"ticket": number})
    body = await run(http, rasa, "action_confirm_resolution")
    assert body["responses"][0]["text"] == t(
        "Great, I've closed {reference}. Thanks for confirming!", "en", reference=ticket.reference
    )
    assert (await services.tickets.store.get(ticket.reference)).status == "closed"
    rasa.user("it broke again", "reopen", {"ticket": ticket.reference})
    again = await run(http, rasa, "action_reopen_ticket")  # closed is final: says so
    assert ticket.reference in again["responses"][0]["text"]


async def test_an_unknown_action_is_a_404_naming_it(
    http: httpx.AsyncClient, domain: dict[str, Any]
) -> None:
    rasa = RasaConversation(USER, domain)
    response = await http.post("/webhook", json=rasa.call("action_fly_to_the_moon"))
    assert response.status_code == 404
    assert response.json() == {
        "error": "No registered action found for name 'action_fly_to_the_moon'.",
        "action_name": "action_fly_to_the_moon",
    }


async def test_a_question_without_its_form_is_rejected(
    http: httpx.AsyncClient, domain: dict[str, Any]
) -> None:
    """A 400 with `action_name` is Rasa's `ActionExecutionRejection`: its policies move on."""
    rasa = RasaConversation(USER, domain)
    response = await http.post("/webhook", json=rasa.call("action_ask_impact"))
    assert response.status_code == 400
    assert response.json() == {
        "error": "action_ask_impact: no form is active",
        "action_name": "action_ask_impact",
    }


@pytest.mark.parametrize(
    ("body", "problem", "action_name"),
    [
        (b"{not json", "body: not JSON", None),
        (b"[1, 2]", "body: expected a JSON object", None),
        (b'{"tracker": {"sender_id": "u"}}', "next_action: Field required", None),
        (
            b'{"next_action": "action_handoff", "tracker": {"slots": {}}}',
            "tracker.sender_id: Field required",
            "action_handoff",
        ),
        (
            b'{"next_action": "action_handoff", "tracker": {"sender_id": "u", "events": [{}]}}',
            "tracker.events.0.event: Field required",
            "action_handoff",
        ),
        (
            b'{"next_action": "action_handoff", "tracker": {"sender_id": "u", "slots": []}}',
            "tracker.slots: Input should be a valid dictionary",
            "action_handoff",
        ),
    ],
)
async def test_a_malformed_call_is_a_400_naming_the_problem(
    http: httpx.AsyncClient, body: bytes, problem: str, action_name: str | None
) -> None:
    response = await http.post(
        "/webhook", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["error"].startswith(problem), answer
    assert answer["action_name"] == action_name


async def test_the_token_rasa_sends_is_checked(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    services.settings.rasa_actions = RasaActionSettings(token=SecretStr("s3cret-token"))
    rasa = RasaConversation(USER, domain)
    rasa.user("where is my ticket?", "incident_status")
    assert (await http.post("/webhook", json=rasa.call("action_ticket_status"))).status_code == 401
    wrong = await http.post("/webhook?token=guess", json=rasa.call("action_ticket_status"))
    assert wrong.status_code == 401
    right = await http.post("/webhook?token=s3cret-token", json=rasa.call("action_ticket_status"))
    assert right.status_code == 200
    assert right.json()["responses"][0]["text"] == t("You have no open ticket.", "en")


async def test_outside_development_the_server_needs_a_token(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    services.settings.environment = Environment.PRODUCTION
    services.settings.rasa_actions = RasaActionSettings()  # none configured
    rasa = RasaConversation(USER, domain)
    rasa.user("where is my ticket?", "incident_status")
    closed = await http.post("/webhook", json=rasa.call("action_ticket_status"))
    assert closed.status_code == 401
    assert "GUICHET_RASA_ACTIONS__TOKEN is not set" in closed.json()["detail"]


async def test_every_action_of_the_domain_is_served(
    http: httpx.AsyncClient, domain: dict[str, Any]
) -> None:
    served = {item["name"] for item in (await http.get("/actions")).json()}
    assert set(domain["actions"]) == served
    assert {"action_create_ticket", "validate_create_ticket_form", "action_handoff"} <= served
    for form, spec in domain["forms"].items():
        for slot in spec["required_slots"]:
            mappings = domain["slots"][slot]["mappings"]
            conditions = [c for m in mappings for c in m.get("conditions", [])]
            assert {"active_loop": form, "requested_slot": slot} in conditions, (form, slot)
            assert f"action_ask_{slot}" in served


async def test_an_order_with_the_items_own_fields(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    """A catalog item's fields are slots the domain's form does not list: Guichet's
    validation action asks for them in turn and reads the answers (typed or clicked)."""
    rasa = RasaConversation(USER, domain)
    rasa.user("I need a new laptop", "order_equipment", {"catalog_item": "laptop-standard"})
    started = await run(http, rasa, "action_order_item")
    assert slot_sets(started) == {"catalog_item": "laptop-standard"}
    assert started["events"][-1]["name"] == "order_item_form"

    rasa.action("order_item_form")
    rasa.loop("order_item_form", "field_keyboard_layout")
    asked = await run(http, rasa, "action_ask_field_keyboard_layout")
    assert asked["responses"][0]["text"] == "Keyboard layout?"
    assert '/inform{"field_keyboard_layout": "azerty-fr"}' in [
        b["payload"] for b in asked["responses"][0]["buttons"]
    ]
    rasa.user("French AZERTY", None)  # typed: no mapping of Rasa's extracts it
    typed = await run(http, rasa, "validate_order_item_form")
    assert slot_sets(typed) == {
        "field_keyboard_layout": "azerty-fr",
        "requested_slot": "field_reason",
    }
    rasa.user('/inform{"field_reason": "replacement"}', "inform", {"field_reason": "replacement"})
    clicked = await run(http, rasa, "validate_order_item_form")
    assert slot_sets(clicked) == {"field_reason": "replacement", "requested_slot": "confirmed"}

    review = await run(http, rasa, "action_ask_confirmed")
    assert "French AZERTY" in review["responses"][-1]["text"]
    rasa.user("/affirm", "affirm")
    rasa.set_slots(confirmed=True)
    await run(http, rasa, "validate_order_item_form")
    rasa.action("order_item_form")
    rasa.loop(None)
    ordered = await run(http, rasa, "action_order_item")
    assert ordered["responses"][0]["text"].startswith("Request REQ-")
    assert slot_sets(ordered)["field_keyboard_layout"] is None
    [request] = await services.tickets.store.open_for(USER)
    assert request.kind == "request" and request.status == "pending"  # waits for approval
    assert request.details["fields"] == {
        "keyboard_layout": "azerty-fr",
        "reason": "replacement",
        "incident_reference": None,
    }


async def test_an_outage_report_and_a_hand_off(
    http: httpx.AsyncClient, services: Services, domain: dict[str, Any]
) -> None:
    rasa = RasaConversation(USER, domain)
    rasa.user("Nobody can reach the intranet since 9", "report_outage")
    outage = await run(http, rasa, "action_report_outage")
    assert slot_sets(outage) == {
        "description": "Nobody can reach the intranet since 9",
        "impact": "organisation",
        "category": "network",
    }
    assert outage["events"][-1]["name"] == "create_ticket_form"

    rasa.user("I want to talk to a person", "human_handoff")
    handed = await run(http, rasa, "action_handoff")
    assert handed["responses"][0]["text"].startswith("I'm passing you to a human agent")
    assert await services.tickets.store.waiting_escalations() == 1
