"""Teams users are held to the web API's rate limits, in the same budget as in Slack: the
activity is accepted and dropped, and the user told once per window, in their language."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.app.web import create_app
from bot.channels.throttle import ChannelLimits
from bot.services import Services
from bot.settings.limits import LimitSettings
from tests.connectors.eventually import eventually
from tests.connectors.slack.fake_slack import (
    SIGNING_SECRET,
    TOKEN,
    FakeSlack,
    direct_message,
    event_callback,
    signed_headers,
)
from tests.connectors.teams.conftest import teams_settings
from tests.connectors.teams.fake_microsoft import FakeConnector, TokenIssuer, personal_message

pytestmark = pytest.mark.unit

BEA = "bea.durand@norvane.example"


@pytest.fixture
async def app(services: Services, issuer: TokenIssuer, slack: FakeSlack) -> AsyncIterator[FastAPI]:
    """Slack and Teams on one app; two messages a minute per user, three per Teams tenant or
    Slack workspace."""
    settings = services.settings.model_copy(
        update={
            "teams": teams_settings(issuer),
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": f"{slack.url}/api/",
            "limits": LimitSettings(
                messages_per_user="2/minute",
                messages_per_workspace="3/minute",
                redis_key_prefix=f"guichet-test:{uuid.uuid4().hex}",  # should a Redis be set
            ),
        }
    )
    served = create_app(settings, services)
    async with served.router.lifespan_context(served):
        yield served


@pytest.fixture
async def guichet(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
    ) as client:
        yield client


async def teams(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, activity: dict[str, Any]
) -> httpx.Response:
    token = issuer.activity_token(str(activity["serviceUrl"]))
    return await guichet.post(
        "/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"}
    )


async def test_messages_over_the_limit_get_one_reply_in_the_users_language(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector, services: Services
) -> None:
    def said(**what: Any) -> dict[str, Any]:
        return personal_message(connector.url, "29:1bea", locale="fr-FR", **what)

    for text in ("bonjour", "merci"):
        assert (await teams(guichet, issuer, said(text=text))).status_code in {200, 202}
    # the turn is over when the Bot Connector gets its answer: each reply is already posted
    assert len(connector.posted) == 2
    menu = connector.posted[0].activity["attachments"][0]["content"]
    click = next(a for a in menu["actions"] if a["type"] == "Action.Submit")
    refused = [
        await teams(guichet, issuer, said(value=click["data"])),  # a card's button: a message
        await teams(guichet, issuer, said(text="allô ?")),
    ]
    assert [r.status_code in {200, 202} for r in refused] == [True, True]
    assert len(connector.posted) == 3  # one "slow down" for both
    told = connector.posted[2]
    assert told.conversation_id == "a:1personal-1bea"
    assert "Merci d'attendre" in told.activity["text"]
    assert "secondes" in told.activity["text"]
    conversation = await services.conversations.latest_for_user(channel="teams", user_id=BEA)
    assert conversation is not None
    assert [t.text for t in conversation.transcript if t.role == "user"] == ["bonjour", "merci"]


async def test_one_budget_and_one_warning_per_person_across_slack_and_teams(
    app: FastAPI,
    guichet: httpx.AsyncClient,
    issuer: TokenIssuer,
    connector: FakeConnector,
    slack: FakeSlack,
) -> None:
    """Ann (U0ANN in Slack, 29:1ann in Teams) writes twice in Slack, then in Teams."""
    for count, text in enumerate(("hello", "thanks"), start=1):
        body = event_callback(direct_message("U0ANN", text))
        headers = {"Content-Type": "application/json", **signed_headers(body)}
        assert (
            await guichet.post("/slack/events", content=body, headers=headers)
        ).status_code == 200
        await asyncio.to_thread(slack.wait_for, "chat.postMessage", count)

    hello = personal_message(connector.url, "29:1ann", text="hello")
    assert (await teams(guichet, issuer, hello)).status_code in {200, 202}
    [told] = connector.posted  # the budget was spent in Slack: told in Teams
    assert "Please wait" in told.activity["text"]

    body = event_callback(direct_message("U0ANN", "hello?"))
    headers = {"Content-Type": "application/json", **signed_headers(body)}
    assert (await guichet.post("/slack/events", content=body, headers=headers)).status_code == 200
    limits: ChannelLimits = app.state.channel_limits

    async def both_refused() -> int | None:
        return limits.refusals if limits.refusals >= 2 else None

    await eventually(both_refused)
    assert len(slack.of("chat.postMessage")) == 2  # already told in Teams: nothing more in Slack
    assert len(connector.posted) == 1


async def test_a_tenant_has_its_own_budget_too(
    guichet: httpx.AsyncClient, issuer: TokenIssuer, connector: FakeConnector
) -> None:
    """Three messages a minute for the whole tenant: Bea's second is one too many."""
    for member, text in (("29:1ann", "hello"), ("29:1ann", "thanks"), ("29:1bea", "bonjour")):
        said = personal_message(connector.url, member, text=text)
        assert (await teams(guichet, issuer, said)).status_code in {200, 202}
    again = personal_message(connector.url, "29:1bea", text="merci", locale="fr-FR")
    assert (await teams(guichet, issuer, again)).status_code in {200, 202}
    assert len(connector.posted) == 4
    told = connector.posted[3]
    assert told.conversation_id == "a:1personal-1bea"
    assert told.activity["text"].startswith("Trop de personnes de votre organisation")
