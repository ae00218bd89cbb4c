"""Self-service password reset and unlock through the directory, with codes in the demo inbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from actions.password import MAX_RESENDS, SENT_AT, asks_for_the_code_again
from bot.app.services import open_services
from bot.kernel.domain import utcnow
from bot.services import Components, Services
from bot.settings import load_settings
from connectors.delivery.demo import DemoInbox
from connectors.directory.builtin import BuiltinDirectory
from tests.bot.dialogue.chat import Chat

USER = "dana@norvane.example"


def _inbox(services: Services) -> DemoInbox:
    inbox = services.self_service.demo_inbox
    assert inbox is not None
    return inbox


def _last_code(services: Services) -> str:
    return _inbox(services).messages[-1].message.code


@pytest.fixture
async def with_voice(
    components: Components, database_url: str, tmp_path: Path
) -> AsyncIterator[Services]:
    """Codes may also be sent by a phone call (the demo inbox takes every kind)."""
    opened = await open_services(
        load_settings(data_dir=tmp_path, database_url=database_url, delivery={"voice": "demo"}),
        components,
    )
    try:
        yield opened
    finally:
        await opened.close()


@pytest.mark.slow
async def test_reset_with_second_factor_gives_a_one_time_link(services: Services) -> None:
    chat = await Chat.start(services, user=USER)
    asked = await chat.say("I forgot my password")
    assert "6-digit code" in asked and "never ask for your password" in asked
    assert chat.replies[0].links[0].url.startswith("/password/demo-inbox/")
    await chat.say(f"the code is {_last_code(services)}")
    assert "one-time link" in chat.text
    assert chat.replies[0].links[0].url.startswith("/password/reset/")
    conversation = await services.conversations.get(chat.conversation_id)
    assert all(_last_code(services) not in turn.text for turn in conversation.transcript)
    assert "••••••" in [turn.text for turn in conversation.transcript]


@pytest.mark.slow
async def test_unlock_in_french(services: Services) -> None:
    directory = services.directory
    assert isinstance(directory, BuiltinDirectory)
    directory.locked.add(USER)
    chat = await Chat.start(services, user=USER, language="fr")
    assert "code à 6 chiffres" in await chat.say("mon compte est bloqué")
    assert "débloqué" in await chat.say(_last_code(services))
    assert USER not in directory.locked


@pytest.mark.slow
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


@pytest.mark.slow
async def test_unknown_account_is_sent_to_an_agent(services: Services) -> None:
    chat = await Chat.start(services, user="someone@elsewhere.example")
    assert "can't find your account" in await chat.say("I forgot my password")
    assert "Talk to an agent" in chat.buttons


@pytest.mark.slow
async def test_the_omnibox_action_starts_the_reset_in_chat(services: Services) -> None:
    """The "Reset my password" suggestion sends its catalogued payload: the flow starts at once."""
    action = services.knowledge.entry("action-reset-password", "en")
    assert action is not None and action.action is not None
    chat = await Chat.start(services, user=USER)
    asked = await chat.say(action.action)
    assert "6-digit code" in asked


async def _code_sent_a_minute_ago(services: Services, chat: Chat) -> None:
    """Time passes: the last code was sent a minute ago (the wait before a new one is over)."""
    conversation = await services.conversations.get(chat.conversation_id)
    conversation.state.slots[SENT_AT] = (utcnow() - timedelta(minutes=1)).isoformat()
    await services.conversations.save(conversation, [])


@pytest.mark.parametrize(
    "text",
    [
        "je ne reçois pas le code",
        "je recois pas le code",
        "pas reçu de code",
        "j'ai rien reçu",
        "toujours pas de SMS",
        "le code n'arrive pas",
        "vous pouvez renvoyer le code ?",
        "renvoie-moi un code stp",
        "I did not get the code",
        "didn't receive any code",
        "no text yet",
        "can you resend it?",
        "send the code again please",
        "the code never arrived",
    ],
)
def test_user_says_the_code_did_not_come(text: str) -> None:
    assert asks_for_the_code_again(text)


@pytest.mark.parametrize(
    "text",
    ["123456", "le code est 123456", "mon imprimante ne marche pas", "merci", "oui", "I forgot"],
)
def test_user_types_something_else_than_a_missing_code(text: str) -> None:
    assert not asks_for_the_code_again(text)


@pytest.mark.slow
async def test_user_who_did_not_get_the_code_gets_a_new_one_and_stays_in_the_reset(
    services: Services,
) -> None:
    chat = await Chat.start(services, user=USER, language="fr")
    await chat.say("j'ai oublié mon mot de passe")
    first = _last_code(services)
    too_soon = await chat.say("je ne reçois pas le code")
    assert "secondes" in too_soon and "Renvoyer le code" in chat.buttons
    assert len(_inbox(services).messages) == 1
    await _code_sent_a_minute_ago(services, chat)
    resent = await chat.say("je ne reçois pas le code")
    assert "nouveau code" in resent and "Renvoyer le code" in chat.buttons
    assert "Plutôt par e-mail" in chat.buttons  # the directory has a second way
    assert "Appelez-moi plutôt" not in chat.buttons  # no sender makes calls
    second = _last_code(services)
    conversation = await services.conversations.get(chat.conversation_id)
    assert conversation.state.active_action == "password_reset"
    if second != first:
        assert "essai" in await chat.say(first)  # the old code no longer works
    await chat.say(second)
    assert "lien" in chat.text and chat.replies[0].links


@pytest.mark.slow
async def test_user_asks_for_the_code_by_phone_call_instead(with_voice: Services) -> None:
    services = with_voice
    chat = await Chat.start(services, user=USER)
    await chat.say("I need to reset my password")
    await chat.say("I didn't get the code")
    await _code_sent_a_minute_ago(services, chat)
    assert "Send the code again" in chat.buttons
    said = await chat.press("Call me instead")
    assert _inbox(services).messages[-1].message.destination.kind == "voice"
    assert "phone call" in said
    await chat.say(_last_code(services))
    assert "one-time link" in chat.text


@pytest.mark.slow
async def test_new_codes_stop_after_the_limit(services: Services) -> None:
    chat = await Chat.start(services, user=USER)
    await chat.say("I forgot my password")
    for _ in range(MAX_RESENDS):
        await _code_sent_a_minute_ago(services, chat)
        assert "new 6-digit code" in await chat.say("resend the code")
    await _code_sent_a_minute_ago(services, chat)
    refused = await chat.say("I still did not get the code")
    assert "can't send more" in refused and "Talk to an agent" in chat.buttons
    assert len(_inbox(services).messages) == 1 + MAX_RESENDS
