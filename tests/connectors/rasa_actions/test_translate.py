"""Rasa's tracker pieces to Guichet's types and back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.kernel.domain import Button, Link, Reply
from connectors.rasa_actions.translate import (
    HIDDEN,
    ActionCall,
    latest_parse,
    problem,
    stated_language,
    to_message,
    turns_after,
)

pytestmark = pytest.mark.unit


def test_the_latest_message_becomes_a_parse_result() -> None:
    parse = latest_parse(
        {
            "text": "status of INC-104233",
            "intent": {"name": "incident_status", "confidence": 0.93},
            "entities": [
                {"entity": "ticket_number", "start": 10, "end": 20, "value": "INC-104233"}
            ],
            "intent_ranking": [{"name": "incident_status", "confidence": 0.93}],
            "metadata": {},
        }
    )
    assert (parse.intent, parse.entity("ticket_number")) == ("incident_status", "INC-104233")
    assert latest_parse(None).intent == "nlu_fallback"
    assert latest_parse({"text": "zzz", "intent": {"name": None}}).confidence == 0.0


def test_the_language_from_metadata_then_the_slot() -> None:
    assert stated_language({"language": "en"}, {"metadata": {"language": "fr-CA"}}) == "fr"
    assert stated_language({"language": "FR"}, {"metadata": {}}) == "fr"
    assert stated_language({"language": "de"}, None) is None


def test_turns_after_a_time_with_the_code_hidden() -> None:
    events = [
        {"event": "user", "timestamp": 100.0, "text": "old message"},
        {"event": "bot", "timestamp": 200.0, "text": "Please type the 6-digit code."},
        {"event": "slot", "timestamp": 200.5, "name": "requested_slot", "value": "code"},
        {"event": "user", "timestamp": 201.0, "text": "482913", "parse_data": {}},
        {"event": "slot", "timestamp": 202.0, "name": "requested_slot", "value": None},
        {
            "event": "user",
            "timestamp": 203.0,
            "text": "thanks",
            "parse_data": {"intent": {"name": "thank"}},
        },
    ]
    turns = turns_after(events, datetime.fromtimestamp(150.0, UTC), frozenset({"code"}))
    assert [(t.role, t.text) for t in turns] == [
        ("bot", "Please type the 6-digit code."),
        ("user", HIDDEN),
        ("user", "thanks"),
    ]
    assert turns[-1].intent == "thank"


def test_links_go_into_the_text_and_buttons_keep_their_payload() -> None:
    reply = Reply(
        text="Ticket INC-000001 is created.",
        buttons=[Button(title="Yes", payload="/affirm")],
        links=[Link(title="INC-000001", url="/tickets/INC-000001")],
    )
    assert to_message(reply) == {
        "text": "Ticket INC-000001 is created.\nINC-000001: /tickets/INC-000001",
        "buttons": [{"title": "Yes", "payload": "/affirm"}],
    }
    assert to_message(Reply(text="Hi"))["buttons"] is None


def test_a_problem_names_each_field() -> None:
    with pytest.raises(ValidationError) as error:
        ActionCall.model_validate({"next_action": "", "tracker": {"slots": None}})
    described = problem(error.value)
    assert "next_action: String should have at least 1 character" in described
    assert "tracker.sender_id: Field required" in described
