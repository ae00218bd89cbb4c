"""Slack users are held to the web API's rate limits: acknowledged, dropped, told once to slow down.

The real Bolt app in the real FastAPI app with small limits; the budget is the user's e-mail's,
shared with the web API (through the real Redis at 127.0.0.1:6379 in the last test).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as redis
from fastapi import FastAPI
from pydantic import SecretStr

from bot.app.web import create_app
from bot.channels.throttle import ChannelLimits
from bot.services import Services
from bot.settings.limits import LimitSettings
from tests.bot.auth.helpers import bearer
from tests.connectors.eventually import eventually
from tests.connectors.slack.fake_slack import (
    SIGNING_SECRET,
    TOKEN,
    Call,
    FakeSlack,
    direct_message,
    event_callback,
    form,
    interactive,
    signed_headers,
)

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
REDIS_URL = "redis://127.0.0.1:6379/0"
ANN, BEA = "ann.martin@norvane.example", "bea.durand@norvane.example"


def small(**rates: str) -> LimitSettings:
    """Small limits under a key prefix of their own, should the settings name a Redis."""
    return LimitSettings(redis_key_prefix=f"guichet-test:{uuid.uuid4().hex}", **rates)


def limited_app(
    services: Services, slack: FakeSlack, limits: LimitSettings, **more: Any
) -> FastAPI:
    settings = services.settings.model_copy(
        update={
            "slack_signing_secret": SecretStr(SIGNING_SECRET),
            "slack_bot_token": SecretStr(TOKEN),
            "slack_api_url": f"{slack.url}/api",
            "limits": limits,
            **more,
        }
    )
    return create_app(settings, services)


@pytest.fixture
async def slack_app(services: Services, slack: FakeSlack) -> AsyncIterator[FastAPI]:
    """The conftest's app with small limits (its `guichet` client talks to this one)."""
    app = limited_app(
        services,
        slack,
        small(
            messages_per_user="2/minute",
            suggestions_per_user="2/minute",
            writes_per_user="1/minute",
        ),
    )
    async with app.router.lifespan_context(app):
        yield app


async def send(guichet: httpx.AsyncClient, body: str, content: dict[str, str]) -> httpx.Response:
    return await guichet.post(
        "/slack/events", content=body, headers={**content, **signed_headers(body)}
    )


async def dm(guichet: httpx.AsyncClient, user: str, text: str) -> httpx.Response:
    return await send(guichet, event_callback(direct_message(user, text)), JSON)


async def arrived(slack: FakeSlack, method: str, count: int) -> list[Call]:
    return await asyncio.to_thread(slack.wait_for, method, count)


async def refusals_reach(app: FastAPI, count: int) -> None:
    """Wait until `count` refused requests were handled (their "slow down" sent, or not)."""
    limits: ChannelLimits = app.state.channel_limits

    async def reached() -> int | None:
        return limits.refusals if limits.refusals >= count else None

    await eventually(reached)


def user(user_id: str, name: str) -> dict[str, str]:
    return {"id": user_id, "username": name, "name": name, "team_id": "T0NORVANE"}


@pytest.mark.unit
async def test_messages_over_the_limit_are_dropped_and_the_user_told_once_in_french(
    slack_app: FastAPI, guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    for count, text in enumerate(("bonjour", "merci"), start=1):
        assert (await dm(guichet, "U0BEA", text)).status_code == 200
        await arrived(slack, "chat.postMessage", count)
    flood = [await dm(guichet, "U0BEA", text) for text in ("allô ?", "ALLÔ ?", "vous êtes là ?")]
    assert [r.status_code for r in flood] == [200, 200, 200]  # acknowledged: Slack won't resend
    await refusals_reach(slack_app, 3)
    posted = slack.of("chat.postMessage")
    assert len(posted) == 3  # two answers and one "slow down", not one per refused message
    told = posted[2].args
    assert told["channel"] == "D0BEA"
    assert "Merci d'attendre" in told["text"]
    wait = re.search(r"attendre (\d+) secondes", told["text"])
    assert wait is not None and 1 <= int(wait[1]) <= 60
    conversation = await services.conversations.latest_for_user(channel="slack", user_id=BEA)
    assert conversation is not None
    assert [t.text for t in conversation.transcript if t.role == "user"] == ["bonjour", "merci"]


@pytest.mark.unit
async def test_a_mention_over_the_limit_is_told_to_its_sender_only_and_a_click_not_again(
    slack_app: FastAPI, guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    for count, text in enumerate(("hello", "thanks"), start=1):
        await dm(guichet, "U0ANN", text)
        await arrived(slack, "chat.postMessage", count)
    menu = slack.of("chat.postMessage")[0].args
    mention = {
        "type": "app_mention",
        "user": "U0ANN",
        "text": "<@U0GUICHET> my VPN is down",
        "ts": "1700000200.000300",
        "channel": "C0GENERAL",
        "event_ts": "1700000200.000300",
    }
    assert (await send(guichet, event_callback(mention), JSON)).status_code == 200
    [told] = await arrived(slack, "chat.postEphemeral", 1)
    assert (told.args["channel"], told.args["user"]) == ("C0GENERAL", "U0ANN")
    assert told.args["thread_ts"] == "1700000200.000300"
    assert "Please wait" in told.args["text"]

    blocks = menu["blocks"] if isinstance(menu["blocks"], list) else json.loads(menu["blocks"])
    button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"])
    click = {
        "type": "block_actions",
        "user": user("U0ANN", "ann"),
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "container": {"type": "message", "message_ts": "1700000000.000100", "channel_id": "D0ANN"},
        "trigger_id": "trigger-1.2",
        "team": {"id": "T0NORVANE", "domain": "norvane"},
        "channel": {"id": "D0ANN", "name": "directmessage"},
        "message": {"type": "message", "text": menu["text"], "ts": "1700000000.000100"},
        "actions": [{**button, "block_id": "guichet_buttons", "action_ts": "1700000001.0"}],
    }
    assert (await send(guichet, interactive(click), FORM)).status_code == 200
    await refusals_reach(slack_app, 2)
    assert slack.of("chat.update") == []  # the buttons stay, for once the wait is over
    assert len(slack.of("chat.postMessage")) == 2 and len(slack.of("chat.postEphemeral")) == 1


@pytest.mark.unit
async def test_the_helpdesk_command_its_suggestions_and_the_modal_are_limited(
    slack_app: FastAPI, guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    command = form(
        token="XXYYZZ",
        team_id="T0NORVANE",
        channel_id="C0GENERAL",
        user_id="U0ANN",
        user_name="ann",
        command="/helpdesk",
        text="",
        api_app_id="A0GUICHET",
        response_url="https://hooks.slack.com/commands/T0NORVANE/1/xyz",
        trigger_id="trigger-13345224609.738474920",
    )
    assert (await send(guichet, command, FORM)).status_code == 200
    [opened] = await arrived(slack, "views.open", 1)
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    typing = {
        "type": "block_suggestion",
        "user": user("U0ANN", "ann"),
        "container": {"type": "view", "view_id": "VMHU10V25"},
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "action_id": "suggestion",
        "block_id": "search",
        "value": "password",
        "team": {"id": "T0NORVANE", "domain": "norvane"},
        "view": {**view, "id": "VMHU10V25", "state": {"values": {}}},
    }
    answers = [(await send(guichet, interactive(typing), FORM)).json() for _ in range(3)]
    assert answers[0]["options"] and answers[1]["options"]
    assert answers[2] == {"options": []}  # Slack waits for this answer: none rather than late
    [told] = await arrived(slack, "chat.postMessage", 1)
    assert told.args["channel"] == "U0ANN"  # typed in a modal: told in the DM with the app
    assert "Please wait" in told.args["text"]

    # the same window: the second /helpdesk opens nothing, and tells nothing more
    assert (await send(guichet, command, FORM)).status_code == 200
    await refusals_reach(slack_app, 2)
    assert len(slack.of("views.open")) == 1 and len(slack.of("chat.postMessage")) == 1


@pytest.mark.unit
async def test_a_modal_submission_counts_as_a_message(services: Services, slack: FakeSlack) -> None:
    app = limited_app(services, slack, small(messages_per_user="1/minute"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as guichet,
    ):
        await dm(guichet, "U0BEA", "bonjour")
        await arrived(slack, "chat.postMessage", 1)
        submission = {
            "type": "view_submission",
            "team": {"id": "T0NORVANE", "domain": "norvane"},
            "user": user("U0BEA", "bea"),
            "api_app_id": "A0GUICHET",
            "token": "XXYYZZ",
            "trigger_id": "trigger-1",
            "view": {
                "id": "VMHU10V25",
                "type": "modal",
                "callback_id": "guichet_search",
                "private_metadata": "fr",
                "state": {"values": {"describe": {"text": {"value": "mon VPN ne marche pas"}}}},
            },
        }
        done = await send(guichet, interactive(submission), FORM)
        assert done.status_code == 200 and done.text == ""  # the modal closes
        await refusals_reach(app, 1)
        [_, told] = slack.of("chat.postMessage")
        assert told.args["channel"] == "U0BEA" and "Merci d'attendre" in told.args["text"]
    conversation = await services.conversations.latest_for_user(channel="slack", user_id=BEA)
    assert conversation is not None
    assert [t.text for t in conversation.transcript if t.role == "user"] == ["bonjour"]


@pytest.mark.unit
async def test_a_workspace_has_its_own_budget_too(services: Services, slack: FakeSlack) -> None:
    """Two messages a minute for the whole workspace: the third person is told why."""
    app = limited_app(services, slack, small(messages_per_workspace="2/minute"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as guichet,
    ):
        for count, who in enumerate(("U0ANN", "U0BEA"), start=1):
            await dm(guichet, who, "hello")
            await arrived(slack, "chat.postMessage", count)
        await dm(guichet, "U0NOMAIL", "hello")
        [*_, told] = await arrived(slack, "chat.postMessage", 3)
        assert told.args["channel"] == "D0NOMAIL"
        assert told.args["text"].startswith("Too many people in your organisation")
        await refusals_reach(app, 1)


@pytest.mark.integration
async def test_the_web_api_and_slack_share_one_budget_per_email_through_redis(
    services: Services, slack: FakeSlack
) -> None:
    """Two messages per 3 seconds for Ann, wherever she writes; Redis holds the count."""
    prefix = f"guichet-test:{uuid.uuid4().hex}"
    limits = LimitSettings(messages_per_user="2/3 seconds", redis_key_prefix=prefix)
    app = limited_app(services, slack, limits, redis_url=REDIS_URL)
    store = redis.Redis.from_url(REDIS_URL)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
            ) as guichet,
        ):
            web = await bearer(services, role="employee", email=ANN)
            started = await guichet.post("/api/v1/conversations", json={"user": ANN}, headers=web)
            url = f"/api/v1/conversations/{started.json()['id']}/messages"

            await dm(guichet, "U0ANN", "hello")  # Slack: 1 of 2
            await arrived(slack, "chat.postMessage", 1)
            assert (await guichet.post(url, json={"text": "hi"}, headers=web)).status_code == 200
            refused = await guichet.post(url, json={"text": "hi"}, headers=web)  # 3 of 2
            assert refused.status_code == 429 and refused.json()["fields"]["scope"] == "user"
            assert await store.keys(f"{prefix}*")  # counted in Redis, not in the process

            await dm(guichet, "U0ANN", "are you there?")  # spent on the web: refused on Slack
            [_, told] = await arrived(slack, "chat.postMessage", 2)
            assert "Please wait" in told.args["text"]
            await refusals_reach(app, 1)

            # Retry-After: when the window has moved past the oldest message (Slack's "hello")
            await asyncio.sleep(int(refused.headers["retry-after"]))
            await dm(guichet, "U0ANN", "thanks")
            posted = await arrived(slack, "chat.postMessage", 3)
            assert "Please wait" not in posted[2].args["text"]  # answered by the engine
            conversation = await services.conversations.latest_for_user(
                channel="slack", user_id=ANN
            )
            assert conversation is not None
            assert [t.text for t in conversation.transcript if t.role == "user"] == [
                "hello",
                "thanks",
            ]
    finally:
        keys = await store.keys(f"{prefix}*")
        if keys:
            await store.delete(*keys)
        await store.aclose()
