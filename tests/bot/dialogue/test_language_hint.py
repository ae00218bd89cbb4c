"""A channel's language hint (a Slack or Teams locale): spoken until the user writes."""

from __future__ import annotations

import pytest

from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.messages import SMALL_TALK
from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.integration


async def say(chat: Chat, text: str, hint: Language | None) -> str:
    chat.replies = await chat.services.engine.handle(chat.conversation_id, text, hint=hint)
    return chat.text


async def test_a_payload_is_answered_in_the_hinted_language(services: Services) -> None:
    chat = await Chat.start(services)
    assert await say(chat, "/greet", "fr") == t(SMALL_TALK["greet"], "fr")
    assert (await chat.state())[0] == "fr"
    assert await say(chat, "/help", "en") == t(
        SMALL_TALK["help"], "en"
    )  # nothing written yet: the hint


async def test_typed_text_wins_over_the_hint(services: Services) -> None:
    chat = await Chat.start(services)
    await say(chat, "/greet", "fr")
    # the first message typed counts as the first message, payloads before it aside:
    # two English words are enough to switch
    await say(chat, "printer broken", "fr")
    assert (await chat.state())[0] == "en"
    # once the user wrote, the hint no longer moves the conversation
    assert await say(chat, "/greet", "fr") == t(SMALL_TALK["greet"], "en")
    await say(chat, "ok", "fr")
    assert (await chat.state())[0] == "en"


async def test_french_text_of_an_english_locale_user_is_answered_in_french(
    services: Services,
) -> None:
    chat = await Chat.start(services)
    await say(chat, "imprimante en panne", "en")
    assert (await chat.state())[0] == "fr"


async def test_a_fixed_language_is_kept_whatever_the_hint(services: Services) -> None:
    chat = await Chat.start(services, language="en")
    assert await say(chat, "/greet", "fr") == t(SMALL_TALK["greet"], "en")
    assert (await chat.state())[0] == "en"
