"""Guichet's form logic when another dialogue manager (a Rasa assistant) holds the slots."""

from __future__ import annotations

from bot.dialogue.remote_forms import CONFIRMED, FormCall, form_turn, required_slots, validate
from bot.kernel.domain import Conversation
from bot.kernel.language import Language
from bot.services import Services
from nlu.protocol import ParseResult


def _conversation(language: Language = "fr") -> Conversation:
    return Conversation(
        id="remote-1", channel="rasa", user_id="alice@norvane.example", language=language
    )


async def test_a_new_ticket_without_the_managers_form_asks_for_the_first_missing_slot(
    services: Services,
) -> None:
    conversation = _conversation()
    action = services.engine.actions.get("create_ticket")
    parse = ParseResult(
        text="mon écran reste noir depuis ce matin", intent="create_ticket", confidence=0.9
    )
    call = FormCall(
        action=action,
        context=services.engine.forms.context(conversation),
        parse=parse,
        slots={},
        submitting=False,
        has_form=False,
    )
    turn = await form_turn(call, conversation.state)
    assert conversation.state.active_action == "create_ticket"
    assert conversation.state.requested_slot == "impact"
    assert turn.slots["description"] == "Mon écran reste noir depuis ce matin"
    assert not turn.continue_form
    assert "Moi seulement" in {b.title for b in turn.replies[-1].buttons}


async def test_with_the_managers_form_the_form_takes_over(services: Services) -> None:
    conversation = _conversation("en")
    action = services.engine.actions.get("create_ticket")
    call = FormCall(
        action=action,
        context=services.engine.forms.context(conversation),
        parse=ParseResult(text="/create_ticket", intent="create_ticket", confidence=1.0),
        slots={"description": "printer jams", "impact": "person"},
        submitting=True,
        has_form=True,
    )
    turn = await form_turn(call, conversation.state)
    assert turn.continue_form and turn.replies == []
    assert conversation.state.requested_slot == "urgency"
    assert turn.slots == {"description": "printer jams", "impact": "person"}


async def test_extracted_values_are_read_in_either_language_and_nonsense_is_dropped(
    services: Services,
) -> None:
    conversation = _conversation()
    action = services.engine.actions.get("create_ticket")
    context = services.engine.forms.context(conversation)
    turn = await validate(
        action,
        context,
        {"impact": "Mon équipe", "urgency": "it blocks my work", "category": "banana"},
        required_slots(action, context),
    )
    # "it blocks my work" is work stopped: ITIL high urgency, Guichet's "critical"
    assert turn.slots == {"impact": "team", "urgency": "critical", "category": None}
    assert context.slots == {"impact": "team", "urgency": "critical"}


async def test_no_to_the_summary_asks_again_for_all_but_the_description(
    services: Services,
) -> None:
    conversation = _conversation()
    action = services.engine.actions.get("create_ticket")
    context = services.engine.forms.context(conversation)
    required = required_slots(action, context)
    assert required == ["description", "impact", "urgency", "category", CONFIRMED]
    turn = await validate(action, context, {CONFIRMED: False}, required)
    assert turn.slots == dict.fromkeys([CONFIRMED, "impact", "urgency", "category"])
    assert len(turn.replies) == 1 and turn.replies[0].text
