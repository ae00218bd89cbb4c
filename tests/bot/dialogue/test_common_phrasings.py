"""Employees phrase covered problems in their own words: the engine must still take them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kernel.i18n import t
from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
PHRASINGS = Path(__file__).parent / "phrasings"
SAME_FLOW = {"account_locked": "password_reset"}
ARTICLES_BY_INTENT: dict[str, set[str]] = {
    "password_reset": {"reset-password", "account-locked", "password-policy"},
    "printer_problem": {"printer-add", "printer-badge-release", "printer-jobs-stuck"},
    "wifi_problem": {"wifi-corporate-connect", "wifi-guest-access", "wifi-meeting-rooms-drops"},
    "vpn_problem": {"vpn-connect", "vpn-hotel-wifi-drops", "vpn-certificate-expired"},
    "email_problem": {"outlook-crash-startup", "outlook-mailbox-full", "shared-mailbox-access"},
    "hardware_problem": {"laptop-slow", "laptop-dock-screens", "bitlocker-recovery"},
    "software_problem": {
        "teams-cache-clear",
        "teams-no-audio",
        "windows-update-errors",
        "outlook-crash-startup",
    },
    "mfa_problem": {"mfa-codes-rejected", "mfa-new-phone"},
    "access_request": {"shared-drive-access", "access-request-application"},
}


def phrasings(name: str) -> list[tuple[str, str, str]]:
    lines = (PHRASINGS / name).read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("|", 2)) for line in lines if line.strip()]  # type: ignore[misc]


CONFUSED = (
    "I'm not sure I understood. Is it one of these?",
    "Sorry, I didn't understand. Could you describe your problem in other words?",
)


async def taken_for(services: Services, text: str) -> tuple[str, str | None, bool]:
    """The intent the engine routed on, the article it answered with, and whether it said
    it did not understand."""
    chat = await Chat.start(services)
    await chat.say(text)
    conversation = await services.conversations.get(chat.conversation_id)
    intent = conversation.transcript[0].intent or ""
    links = [link.url for reply in chat.replies for link in reply.links]
    article = links[0].rsplit("/", 1)[-1] if links and links[0].startswith("/kb/") else None
    language = conversation.language
    confused = any(t(message, language) in chat.text for message in CONFUSED)
    return SAME_FLOW.get(intent, intent), article, confused


async def passes(services: Services, expected: str, text: str) -> bool:
    intent, article, confused = await taken_for(services, text)
    expected = SAME_FLOW.get(expected, expected)
    return not confused and (intent == expected or article in ARTICLES_BY_INTENT[expected])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_employee_writes_a_covered_problem_in_everyday_words(services: Services) -> None:
    failed = [
        text
        for _, expected, text in phrasings("dev.txt")
        if not await passes(services, expected, text)
    ]
    assert failed == []


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_held_out_everyday_phrasings_are_mostly_understood(services: Services) -> None:
    held_out = phrasings("heldout.txt")
    understood = [await passes(services, expected, text) for _, expected, text in held_out]
    assert sum(understood) / len(held_out) >= 0.8
