"""Buttons of an earlier step pressed late are answered in context, not "I did not understand"."""

from __future__ import annotations

import pytest

from bot.kernel.i18n import t
from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
NOT_UNDERSTOOD = "Sorry, I didn't understand. Could you describe your problem in other words?"
OVER = "That choice belongs to an earlier step that is over."


async def test_user_presses_yes_of_a_ticket_already_created(services: Services) -> None:
    chat = await Chat.start(services, user="olga@norvane.example")
    await chat.say("please open a ticket: the docking station does not charge my laptop")
    await chat.press("Only me")
    await chat.press("It can wait")
    old_yes = chat.buttons["Yes"]
    assert "INC-" in await chat.press("Yes")
    answer = await chat.say(old_yes)
    assert OVER in answer and NOT_UNDERSTOOD not in answer
    assert "My tickets" in chat.buttons
    assert len(await services.tickets.store.open_for("olga@norvane.example")) == 1


async def test_user_picks_an_item_of_an_old_catalog_list(services: Services) -> None:
    chat = await Chat.start(services, user="paul@norvane.example")
    item = next(i for i in services.knowledge.content.catalog if not i.requires_approval)
    await chat.say(f'/order_equipment{{"catalog_item": "{item.id}"}}')
    await chat.say("cancel")
    answer = await chat.say(f'/inform{{"catalog_item": "{item.id}"}}')
    assert NOT_UNDERSTOOD not in answer and OVER not in answer
    conversation = await services.conversations.get(chat.conversation_id)
    assert conversation.state.active_action == "order_item"
    assert conversation.state.slots["catalog_item"] == item.id


async def test_user_picks_a_removed_catalog_item(services: Services) -> None:
    chat = await Chat.start(services, language="fr")
    answer = await chat.say('/inform{"catalog_item": "typewriter-1950"}')
    assert t(OVER, "fr") in answer and t(NOT_UNDERSTOOD, "fr") not in answer


async def test_user_presses_an_old_urgency_button_during_a_password_reset(
    services: Services,
) -> None:
    chat = await Chat.start(services, user="dana@norvane.example")
    await chat.say("I forgot my password")
    answer = await chat.say('/inform{"urgency": "low"}')
    assert OVER in answer and "6-digit code" in answer
    conversation = await services.conversations.get(chat.conversation_id)
    assert conversation.state.active_action == "password_reset"


async def test_user_presses_send_the_code_again_after_the_reset(services: Services) -> None:
    chat = await Chat.start(services, user="dana@norvane.example")
    answer = await chat.say("/resend_code")
    assert OVER in answer and "Talk to an agent" in chat.buttons
