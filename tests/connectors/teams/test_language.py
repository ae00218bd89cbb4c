"""The language of a Teams conversation: the activity's `locale` until the user writes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.kernel.i18n import t
from bot.kernel.messages import SMALL_TALK
from bot.services import Services
from tests.connectors.teams.fake_microsoft import (
    FakeConnector,
    TokenIssuer,
    app_installed,
    personal_message,
)
from tests.connectors.teams.test_teams import post

pytestmark = pytest.mark.unit

EMAILS = {"29:1ann": "ann.martin@norvane.example", "29:1bea": "bea.durand@norvane.example"}


def said(activity: dict[str, Any]) -> str:
    """A reply's text: plain, or the first block of its Adaptive Card (a reply with links)."""
    if "text" in activity:
        return str(activity["text"])
    return str(activity["attachments"][0]["content"]["body"][0]["text"])


async def code_sent(services: Services, email: str, language: str) -> str:
    person = await services.directory.lookup(email)
    assert person is not None
    return t(
        "To check it's you, I've sent a 6-digit code to {second_factor}. Type "
        "it here. I will never ask for your password.",
        language,
        second_factor=person.destinations[0].masked(),  # the first way codes go
    )


@pytest.mark.parametrize(
    ("member", "locale", "language"),
    [
        ("29:1bea", "fr-FR", "fr"),
        ("29:1bea", "fr-CA", "fr"),
        ("29:1ann", "en-GB", "en"),
        ("29:1ann", "de-DE", "en"),  # neither French nor English: GUICHET_DEFAULT_LANGUAGE
    ],
)
async def test_a_card_button_clicked_first_is_answered_in_the_clients_language(
    guichet: httpx.AsyncClient,
    issuer: TokenIssuer,
    connector: FakeConnector,
    services: Services,
    member: str,
    locale: str,
    language: str,
) -> None:
    clicked = personal_message(
        connector.url, member, value={"payload": "/password_reset"}, locale=locale
    )
    response = await post(guichet, clicked, issuer.activity_token(connector.url))
    assert response.status_code in {200, 202}
    [reply] = await asyncio.to_thread(connector.wait_for, 1)
    assert said(reply.activity) == await code_sent(services, EMAILS[member], language)
    conversation = await services.conversations.latest_for_user(
        channel="teams", user_id=EMAILS[member]
    )
    assert conversation is not None and conversation.language == language


async def test_installing_the_app_greets_in_the_clients_language(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    installed = app_installed(connector.url, "29:1bea")
    installed["locale"] = "fr-FR"
    await post(guichet, installed, issuer.activity_token(connector.url))
    [greeting] = await asyncio.to_thread(connector.wait_for, 1)
    assert greeting.activity["attachments"][0]["content"]["body"][0]["text"] == t(
        SMALL_TALK["greet"], "fr"
    )


async def test_what_a_french_teams_user_writes_in_english_is_answered_in_english(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    token = issuer.activity_token(connector.url)
    typed = personal_message(
        connector.url, "29:1bea", text="I forgot my password, please help", locale="fr-FR"
    )
    await post(guichet, typed, token)
    [reply] = await asyncio.to_thread(connector.wait_for, 1)
    assert said(reply.activity) == await code_sent(services, EMAILS["29:1bea"], "en")
