"""The user writes in French while their widget is set to English: the answer is in French."""

from __future__ import annotations

import pytest

from bot.kernel.i18n import t
from bot.kernel.messages import SMALL_TALK
from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


async def test_french_typed_in_an_english_widget_is_answered_in_french(services: Services) -> None:
    chat = await Chat.start(services, language="en")
    await chat.say("hello", language="en")
    assert (await chat.state())[0] == "en"
    await chat.say("comment connecter mon téléphone au wifi NORVANE-CORP ?", language="en")
    assert chat.replies[0].links[0].url == "/kb/fr/wifi-corporate-connect"
    assert (await chat.state())[0] == "fr"
    # the widget still says "en" with every message; the conversation goes on in French
    assert await chat.say("/greet", language="en") == t(SMALL_TALK["greet"], "fr")
    assert "Entendu" in await chat.say("ok", language="en")


async def test_user_switches_the_widget_language_and_is_answered_in_it(
    services: Services,
) -> None:
    chat = await Chat.start(services, language="en")
    await chat.say("mon imprimante n'imprime plus rien depuis ce matin", language="en")
    assert (await chat.state())[0] == "fr"
    # choosing EN in the widget is a choice: buttons and short words follow it
    assert await chat.say("/greet", language="en") == t(SMALL_TALK["greet"], "fr")
    assert await chat.say("/greet", language="fr") == t(SMALL_TALK["greet"], "fr")
    assert await chat.say("/greet", language="en") == t(SMALL_TALK["greet"], "en")


async def test_english_typed_in_a_french_conversation_is_answered_in_english(
    services: Services,
) -> None:
    chat = await Chat.start(services, language="fr")
    assert "Bonjour" in await chat.say("bonjour")
    await chat.say("my vpn keeps disconnecting every few minutes at the hotel")
    assert chat.replies[0].links[0].url == "/kb/en/vpn-hotel-wifi-drops"
    assert "Entendu" not in await chat.say("ok")  # the conversation went on in English


async def test_short_or_unclear_words_do_not_switch_the_language(services: Services) -> None:
    chat = await Chat.start(services, language="fr")
    await chat.say("j'ai un souci avec Outlook")
    await chat.say("Outlook")
    await chat.say("ok")
    assert (await chat.state())[0] == "fr"
