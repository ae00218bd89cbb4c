"""Self-service password reset and unlock through the built-in identity provider."""

from __future__ import annotations

import pytest

from actions.identity import BuiltinIdentityProvider
from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
USER = "dana@norvane.example"


def _last_code(services: Services) -> str:
    identity = services.identity
    assert isinstance(identity, BuiltinIdentityProvider)
    user, code = identity.sent[-1]
    assert user == USER
    return code


async def test_reset_with_second_factor_gives_a_one_time_link(services: Services) -> None:
    chat = await Chat.start(services, user=USER)
    asked = await chat.say("I forgot my password")
    assert "6-digit code" in asked and "never ask for your password" in asked
    await chat.say(f"the code is {_last_code(services)}")
    assert "one-time link" in chat.text
    assert chat.replies[0].links[0].url.startswith("https://password.norvane.example/reset?token=")
    conversation = await services.conversations.get(chat.conversation_id)
    assert all(_last_code(services) not in turn.text for turn in conversation.transcript)
    assert "••••••" in [turn.text for turn in conversation.transcript]


async def test_unlock_in_french(services: Services) -> None:
    identity = services.identity
    assert isinstance(identity, BuiltinIdentityProvider)
    identity.locked.add(USER)
    chat = await Chat.start(services, user=USER, language="fr")
    assert "code à 6 chiffres" in await chat.say("mon compte est bloqué")
    assert "débloqué" in await chat.say(_last_code(services))
    assert USER not in identity.locked


async def test_wrong_codes_stop_after_three_tries(services: Services) -> None:
    chat = await Chat.start(services, user=USER)
    await chat.say("I need to reset my password")
    real = _last_code(services)
    wrong = "000000" if real != "000000" else "111111"
    assert "2 attempts left" in await chat.say(wrong)
    assert "1 attempt left" in await chat.say(wrong)
    refused = await chat.say(wrong)
    assert "could not be verified" in refused and "Talk to an agent" in chat.buttons
    # the right code no longer works after three failures
    assert "one-time link" not in await chat.say(real)


async def test_unknown_account_is_sent_to_an_agent(services: Services) -> None:
    chat = await Chat.start(services, user="someone@elsewhere.example")
    assert "can't find your account" in await chat.say("I forgot my password")
    assert "Talk to an agent" in chat.buttons


async def test_the_omnibox_action_starts_the_reset_in_chat(services: Services) -> None:
    """The "Reset my password" suggestion sends its catalogued payload: the flow starts at once."""
    action = services.knowledge.entry("action-reset-password", "en")
    assert action is not None and action.action is not None
    chat = await Chat.start(services, user=USER)
    asked = await chat.say(action.action)
    assert "6-digit code" in asked
