"""The real Bolt app in the real FastAPI app, its Web API calls going to a local Slack."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest

from bot.channels.addresses import ChannelAddressStore
from bot.channels.registry import ChannelUnavailable
from bot.kernel.domain import Reply
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from tests.connectors.eventually import eventually
from tests.connectors.slack.fake_slack import (
    FakeSlack,
    direct_message,
    event_callback,
    form,
    interactive,
    signed_headers,
)

pytestmark = pytest.mark.unit

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def send(
    guichet: httpx.AsyncClient, body: str, content: dict[str, str], **headers: str
) -> httpx.Response:
    return await guichet.post(
        "/slack/events", content=body, headers={**content, **signed_headers(body), **headers}
    )


async def arrived(slack: FakeSlack, method: str, count: int) -> list[Any]:
    return await asyncio.to_thread(slack.wait_for, method, count)


def texts(slack: FakeSlack) -> list[str]:
    return [str(c.args.get("text")) for c in slack.of("chat.postMessage")]


def buttons(call_args: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = call_args["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


async def test_unsigned_wrongly_signed_and_replayed_requests_are_refused(
    guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    body = event_callback(direct_message("U0ANN", "hello"))
    unsigned = await guichet.post("/slack/events", content=body, headers=JSON)
    wrong = await guichet.post(
        "/slack/events",
        content=body,
        headers={**JSON, **signed_headers(body, secret="not-the-signing-secret")},
    )
    tampered = await guichet.post(
        "/slack/events",
        content=body.replace("hello", "HELLO"),
        headers={**JSON, **signed_headers(body)},
    )
    replayed = await guichet.post(
        "/slack/events",
        content=body,
        headers={**JSON, **signed_headers(body, at=time.time() - 6 * 60)},
    )
    assert [r.status_code for r in (unsigned, wrong, tampered, replayed)] == [401] * 4
    await asyncio.sleep(0.5)
    assert slack.of("chat.postMessage") == [] and slack.of("users.info") == []


async def test_direct_message_is_answered_with_block_kit(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    started = time.monotonic()
    response = await send(guichet, event_callback(direct_message("U0ANN", "hello")), JSON)
    assert response.status_code == 200
    assert time.monotonic() - started < 3  # acknowledged before the answer is ready
    [reply] = await arrived(slack, "chat.postMessage", 1)
    assert reply.args["channel"] == "D0ANN"
    assert "Guichet" in reply.args["text"]
    assert {b["value"] for b in buttons(reply.args)} >= {"/open_incident", "/human_handoff"}
    [info] = slack.of("users.info")
    assert info.args["user"] == "U0ANN" and str(info.args["include_locale"]).lower() in {
        "1",
        "true",
    }
    # the user is known by e-mail, and reachable in this DM
    conversation = await services.conversations.latest_for_user(
        channel="slack", user_id="ann.martin@norvane.example"
    )
    assert conversation is not None and conversation.transcript[0].text == "hello"
    addresses = ChannelAddressStore(services.database)
    address = await eventually(lambda: addresses.last_used("ann.martin@norvane.example"))
    assert address.address == {"user": "U0ANN", "channel": "D0ANN"}


async def test_a_retried_event_gets_one_reply_only(
    guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    slack.delay = 1.0  # Slack is slow to take the reply: Slack would retry meanwhile
    # an id of this run's own: taken ids are remembered an hour, in Redis when one is set
    body = event_callback(direct_message("U0ANN", "hello"), event_id=f"Ev0{uuid.uuid4().hex}")
    first = await send(guichet, body, JSON)
    retries = [
        await send(
            guichet,
            body,
            JSON,
            **{"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"},
        )
        for n in (1, 2)
    ]
    assert [r.status_code for r in (first, *retries)] == [200, 200, 200]
    await arrived(slack, "chat.postMessage", 1)
    await asyncio.sleep(2.5)
    assert len(slack.of("chat.postMessage")) == 1
    assert len(slack.of("users.info")) == 1


async def test_clicked_button_is_disabled_and_its_payload_answered(
    guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    await send(guichet, event_callback(direct_message("U0ANN", "hello")), JSON)
    [menu] = await arrived(slack, "chat.postMessage", 1)
    agent = next(b for b in buttons(menu.args) if b["value"] == "/human_handoff")
    posted_blocks = menu.args["blocks"]
    click = {
        "type": "block_actions",
        "user": {"id": "U0ANN", "username": "ann", "name": "ann", "team_id": "T0NORVANE"},
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "container": {
            "type": "message",
            "message_ts": "1700000000.000100",
            "channel_id": "D0ANN",
            "is_ephemeral": False,
        },
        "trigger_id": "trigger-12466734323.1395872398",
        "team": {"id": "T0NORVANE", "domain": "norvane"},
        "channel": {"id": "D0ANN", "name": "directmessage"},
        "message": {
            "type": "message",
            "bot_id": "B0GUICHET",
            "text": menu.args["text"],
            "ts": "1700000000.000100",
            "blocks": posted_blocks,
        },
        "response_url": "https://hooks.slack.com/actions/T0NORVANE/1/abc",
        "actions": [
            {
                "action_id": agent["action_id"],
                "block_id": "guichet_buttons",
                "text": agent["text"],
                "value": agent["value"],
                "type": "button",
                "action_ts": "1700000001.000200",
            }
        ],
    }
    response = await send(guichet, interactive(click), FORM)
    assert response.status_code == 200
    [update] = await arrived(slack, "chat.update", 1)
    assert (update.args["channel"], update.args["ts"]) == ("D0ANN", "1700000000.000100")
    assert buttons(update.args) == []
    assert agent["text"]["text"] in json.dumps(update.args["blocks"], ensure_ascii=False)
    calls = await arrived(slack, "chat.postMessage", 2)
    assert calls[1].args["channel"] == "D0ANN"  # the engine's answer to the hand-off payload


async def test_helpdesk_command_opens_a_search_modal_with_suggestions(
    guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    command = form(
        token="XXYYZZ",
        team_id="T0NORVANE",
        team_domain="norvane",
        channel_id="C0GENERAL",
        channel_name="general",
        user_id="U0BEA",
        user_name="bea",
        command="/helpdesk",
        text="",
        api_app_id="A0GUICHET",
        response_url="https://hooks.slack.com/commands/T0NORVANE/1/xyz",
        trigger_id="trigger-13345224609.738474920.8088930838d88f008e0",
    )
    response = await send(guichet, command, FORM)
    assert response.status_code == 200
    [opened] = await arrived(slack, "views.open", 1)
    view = opened.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["title"]["text"] == "Support informatique"  # Bea's Slack is in French
    select = view["blocks"][0]["element"]
    assert select["type"] == "external_select"

    suggestion = {
        "type": "block_suggestion",
        "user": {"id": "U0BEA", "username": "bea", "name": "bea", "team_id": "T0NORVANE"},
        "container": {"type": "view", "view_id": "VMHU10V25"},
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "action_id": select["action_id"],
        "block_id": view["blocks"][0]["block_id"],
        "value": "mot de passe",
        "team": {"id": "T0NORVANE", "domain": "norvane"},
        "view": {**view, "id": "VMHU10V25", "state": {"values": {}}},
    }
    options = await send(guichet, interactive(suggestion), FORM)
    assert options.status_code == 200
    choices = options.json()["options"]
    assert choices and all(len(c["value"]) <= 150 and len(c["text"]["text"]) <= 75 for c in choices)
    reset = next(c for c in choices if c["value"].startswith("/"))

    submission = {
        "type": "view_submission",
        "team": {"id": "T0NORVANE", "domain": "norvane"},
        "user": {"id": "U0BEA", "username": "bea", "name": "bea", "team_id": "T0NORVANE"},
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "trigger_id": "trigger-12345.98765.abcd2358fdea",
        "view": {
            **view,
            "id": "VMHU10V25",
            "state": {
                "values": {
                    view["blocks"][0]["block_id"]: {
                        select["action_id"]: {"type": "external_select", "selected_option": reset}
                    },
                    view["blocks"][1]["block_id"]: {
                        view["blocks"][1]["element"]["action_id"]: {
                            "type": "plain_text_input",
                            "value": None,
                        }
                    },
                }
            },
        },
    }
    done = await send(guichet, interactive(submission), FORM)
    assert done.status_code == 200 and done.text == ""  # the modal closes
    [answer] = await arrived(slack, "chat.postMessage", 1)
    assert answer.args["channel"] == "U0BEA"  # in Bea's DM with the app


async def test_empty_search_keeps_the_modal_open_with_an_error(
    guichet: httpx.AsyncClient, slack: FakeSlack
) -> None:
    submission = {
        "type": "view_submission",
        "team": {"id": "T0NORVANE", "domain": "norvane"},
        "user": {"id": "U0ANN", "username": "ann", "name": "ann", "team_id": "T0NORVANE"},
        "api_app_id": "A0GUICHET",
        "token": "XXYYZZ",
        "trigger_id": "trigger-1",
        "view": {
            "id": "VMHU10V25",
            "type": "modal",
            "callback_id": "guichet_search",
            "private_metadata": "en",
            "state": {"values": {}},
        },
    }
    response = await send(guichet, interactive(submission), FORM)
    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {"search": "Choose a suggestion or describe what you need."},
    }


async def test_ticket_update_is_pushed_to_the_slack_dm(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    await send(guichet, event_callback(direct_message("U0ANN", "hello")), JSON)
    await arrived(slack, "chat.postMessage", 1)
    addresses = ChannelAddressStore(services.database)
    await eventually(lambda: addresses.get("ann.martin@norvane.example", "slack"))
    conversation = await services.conversations.latest_for_user(
        channel="slack", user_id="ann.martin@norvane.example"
    )
    assert conversation is not None
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester="ann.martin@norvane.example",
            channel="slack",
            conversation_id=conversation.id,
            title="VPN down",
            description="VPN down since 9",
            category="network",
            impact="person",
            urgency="high",
            priority="P3",
            language="en",
        )
    )
    # queued by the notifier, delivered at once by the app's dispatcher through the slack channel
    await services.notifier.notify(ticket, services.notifier.replies(ticket, status="resolved"))
    calls = await arrived(slack, "chat.postMessage", 2)
    assert calls[1].args["channel"] == "D0ANN"
    assert ticket.reference and ticket.reference in calls[1].args["text"]
    assert {b["value"] for b in buttons(calls[1].args)} == {
        f'/confirm_resolution{{"ticket": "{ticket.reference}"}}',
        f'/reopen{{"ticket": "{ticket.reference}"}}',
    }


async def test_mention_in_a_channel_is_answered_in_its_thread(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    mention = {
        "type": "app_mention",
        "user": "U0NOMAIL",  # no users:read.email for this one: a name of Slack's own
        "text": "<@U0GUICHET> hello",
        "ts": "1700000100.000200",
        "channel": "C0GENERAL",
        "event_ts": "1700000100.000200",
    }
    assert (await send(guichet, event_callback(mention), JSON)).status_code == 200
    [reply] = await arrived(slack, "chat.postMessage", 1)
    assert (reply.args["channel"], reply.args["thread_ts"]) == ("C0GENERAL", "1700000100.000200")
    addresses = ChannelAddressStore(services.database)
    address = await eventually(lambda: addresses.get("u0nomail@t0norvane.slack", "slack"))
    assert address.address == {"user": "U0NOMAIL", "channel": "U0NOMAIL"}  # pushes go to the DM


async def test_update_waits_while_slack_is_down(
    guichet: httpx.AsyncClient, slack: FakeSlack, services: Services
) -> None:
    await send(guichet, event_callback(direct_message("U0BEA", "bonjour")), JSON)
    await arrived(slack, "chat.postMessage", 1)
    addresses = ChannelAddressStore(services.database)
    await eventually(lambda: addresses.get("bea.durand@norvane.example", "slack"))
    slack.down = True
    with pytest.raises(ChannelUnavailable):
        await services.channels.get("slack").push(
            user_id="bea.durand@norvane.example",
            conversation_id=None,
            replies=[Reply(text="INC-000007: in progress")],
        )
    with pytest.raises(ChannelUnavailable):  # never talked on Slack: nowhere to post
        await services.channels.get("slack").push(
            user_id="nobody@norvane.example", conversation_id=None, replies=[Reply(text="x")]
        )
    slack.down = False
    await services.channels.get("slack").push(
        user_id="bea.durand@norvane.example",
        conversation_id=None,
        replies=[Reply(text="INC-000007: in progress")],
    )
    calls = await arrived(slack, "chat.postMessage", 2)
    assert calls[1].args["channel"] == "D0BEA"
