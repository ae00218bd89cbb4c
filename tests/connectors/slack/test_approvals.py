"""Issue 15's approval, end to end: Marie Dupont orders a monitor, her manager from the directory
(Claire Martin) gets Approve / Reject buttons in Slack, approves from the real interactivity
endpoint, and the outbox carries the decision to the real Request Tracker."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text

from bot.app.services import open_services, sync_worker
from bot.app.web import create_app
from bot.channels.addresses import ChannelAddressStore
from bot.kernel.domain import utcnow
from bot.services import Components, Services
from bot.settings import TicketSettings, load_settings
from bot.settings.approvals import ApprovalSettings
from bot.settings.itsm import ItsmSettings, RequestTrackerSettings
from tests.bot.dialogue.chat import Chat
from tests.connectors.eventually import eventually
from tests.connectors.slack.fake_slack import (
    SIGNING_SECRET,
    TOKEN,
    FakeSlack,
    Person,
    direct_message,
    event_callback,
    interactive,
)
from tests.connectors.slack.test_slack import FORM, JSON, arrived, buttons, send
from tests.contracts.fakes.server import serve_fake
from tests.request_tracker import PASSWORD, RunningRequestTracker, start_request_tracker

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MARIE, CLAIRE = "marie.dupont@norvane.example", "claire.martin@norvane.example"
PEOPLE = {
    "U0MARIE": Person("U0MARIE", "marie", MARIE, "fr-FR"),
    "U0CLAIRE": Person("U0CLAIRE", "claire", CLAIRE, "fr-FR"),
    "U0ANN": Person("U0ANN", "ann", "ann.martin@norvane.example", "en-US"),
}


@pytest.fixture(scope="module")
def rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRequestTracker]:
    running = start_request_tracker(tmp_path_factory.mktemp("rt-approvals"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from serve_fake(FakeSlack(people=dict(PEOPLE)))


@pytest.fixture
async def synced(
    components: Components, rt: RunningRequestTracker, tmp_path: Path
) -> AsyncIterator[Services]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        tickets=TicketSettings(
            sync_backends=["request_tracker"], max_backoff_seconds=1.0, run_sync_worker=False
        ),
        approvals=ApprovalSettings(run_worker=False),
        itsm=ItsmSettings(
            timeout_seconds=20,
            request_tracker=RequestTrackerSettings(
                base_url=rt.url, username="root", password=SecretStr(PASSWORD)
            ),
        ),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_bot_token=SecretStr(TOKEN),
    )
    services = await open_services(settings, components)
    # references of this run where no earlier run went (RT's create is idempotent on them)
    async with services.database.engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO tickets (id, reference, kind, requester, channel, title, description, "
                "category, impact, urgency, priority, status, language, details, created_at, "
                "updated_at) VALUES (:id, :reference, 'incident', 'seed', 'test', 'seed', 'seed', "
                "'other', 'person', 'low', 'P5', 'closed', 'en', '{}', :now, :now)"
            ),
            {"id": (base := random.randint(1_000, 8_999) * 1_000), "reference": f"SEED-{base}"}
            | {"now": utcnow()},
        )
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
async def guichet(synced: Services, slack: FakeSlack) -> AsyncIterator[httpx.AsyncClient]:
    settings = synced.settings.model_copy(update={"slack_api_url": f"{slack.url}/api"})
    app: FastAPI = create_app(settings, synced)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
        ) as client,
    ):
        yield client


def click(user: str, message: dict[str, Any], button: dict[str, Any]) -> str:
    """Slack's `block_actions` payload for a click on `button` of a posted message."""
    channel = f"D{user[1:]}"
    return interactive(
        {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0"},
            "api_app_id": "A0GUICHET",
            "token": "XXYYZZ",
            "container": {
                "type": "message",
                "message_ts": "1700000000.000100",
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "trigger_id": "trigger-1",
            "team": {"id": "T0NORVANE", "domain": "norvane"},
            "channel": {"id": channel, "name": "directmessage"},
            "message": {
                "type": "message",
                "bot_id": "B0GUICHET",
                "text": message["text"],
                "ts": "1700000000.000100",
                "blocks": message["blocks"],
            },
            "response_url": "https://hooks.slack.com/actions/T0NORVANE/1/abc",
            "actions": [
                {
                    "action_id": button["action_id"],
                    "block_id": "guichet_buttons",
                    "text": button["text"],
                    "value": button["value"],
                    "type": "button",
                    "action_ts": "1700000001.000200",
                }
            ],
        }
    )


async def until(condition: Callable[[], bool]) -> None:
    async def check() -> bool | None:
        return condition() or None

    await eventually(check)


def posted_to(slack: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [c.args for c in slack.of("chat.postMessage") if c.args.get("channel") == channel]


async def rt_ticket(rt: RunningRequestTracker, reference: str) -> dict[str, Any]:
    async with httpx.AsyncClient(auth=("root", PASSWORD), timeout=60) as client:
        found = await client.get(
            f"{rt.url}/REST/2.0/tickets",
            params={"query": f"'CF.{{GuichetReference}}' = '{reference}'", "fields": "Status"},
        )
        found.raise_for_status()
        [item] = found.json()["items"]
        replies = await client.get(
            f"{rt.url}/REST/2.0/transactions",
            params={"query": f"ObjectId = {item['id']} AND Type = 'Correspond'", "per_page": 100},
        )
        replies.raise_for_status()
        contents = []
        for transaction in replies.json()["items"]:
            listing = await client.get(
                f"{rt.url}/REST/2.0/transaction/{transaction['id']}/attachments"
            )
            for entry in listing.json().get("items") or []:
                attachment = await client.get(f"{rt.url}/REST/2.0/attachment/{entry['id']}")
                raw = base64.b64decode(attachment.json().get("Content") or "")
                contents.append(raw.decode("utf-8", errors="replace"))
        return {"status": item["Status"], "contents": contents}


async def test_a_monitor_order_is_approved_by_the_manager_in_slack_and_reaches_rt(
    guichet: httpx.AsyncClient, slack: FakeSlack, synced: Services, rt: RunningRequestTracker
) -> None:
    addresses = ChannelAddressStore(synced.database)
    for user in ("U0CLAIRE", "U0MARIE"):
        await send(guichet, event_callback(direct_message(user, "bonjour")), JSON)
    await arrived(slack, "chat.postMessage", 2)
    await eventually(lambda: addresses.get(CLAIRE, "slack"))
    await eventually(lambda: addresses.get(MARIE, "slack"))
    conversation = await synced.conversations.latest_for_user(channel="slack", user_id=MARIE)
    assert conversation is not None
    marie = Chat(synced, conversation.id)
    await marie.say('/order_equipment{"catalog_item": "monitor-24"}')
    await marie.press("Site de Lyon")
    await marie.press("Oui")
    reference = marie.replies[-1].links[0].url.removeprefix("/tickets/")

    # Claire's DM gets the Block Kit message with Approve / Reject
    await arrived(slack, "chat.postMessage", 3)
    [asked] = [m for m in posted_to(slack, "D0CLAIRE") if reference in m["text"]]
    assert "Marie Dupont" in asked["text"] and "Écran 24 pouces" in asked["text"]
    approve, reject = buttons(asked)
    assert approve["value"] == f'/approve_request{{"ticket": "{reference}"}}'
    assert (approve["text"]["text"], reject["text"]["text"]) == ("Approuver", "Refuser")
    asked["blocks"] = (
        json.loads(asked["blocks"]) if isinstance(asked["blocks"], str) else asked["blocks"]
    )

    # Ann clicking a copy of the button: refused, nothing changes
    sent = len(slack.of("chat.postMessage"))
    assert (await send(guichet, click("U0ANN", asked, approve), FORM)).status_code == 200
    await arrived(slack, "chat.postMessage", sent + 1)
    assert "Only the approver" in posted_to(slack, "D0ANN")[-1]["text"]
    assert (await synced.tickets.get(reference)).status == "pending"

    # Claire approves: the ticket moves on, Marie is told in French in her Slack DM
    assert (await send(guichet, click("U0CLAIRE", asked, approve), FORM)).status_code == 200

    async def approved() -> bool | None:
        return (await synced.tickets.get(reference)).status == "assigned" or None

    await eventually(approved)
    await until(
        lambda: any("approuvée par Claire Martin" in m["text"] for m in posted_to(slack, "D0MARIE"))
    )
    assert any("vous avez approuvé" in m["text"] for m in posted_to(slack, "D0CLAIRE"))

    # a second click says who decided
    before = len(posted_to(slack, "D0CLAIRE"))
    await send(guichet, click("U0CLAIRE", asked, reject), FORM)
    await until(lambda: len(posted_to(slack, "D0CLAIRE")) > before)
    assert "déjà été approuvée par Claire Martin" in posted_to(slack, "D0CLAIRE")[-1]["text"]

    # the outbox carries it to Request Tracker: open, with who approved
    worker = sync_worker(synced)
    assert worker is not None
    try:
        assert await worker.deliver_once() >= 3  # create, the approval comment, the status
    finally:
        await worker.aclose()
    upstream = await rt_ticket(rt, reference)
    assert upstream["status"] == "open"
    assert any("Approuvé par Claire Martin." in content for content in upstream["contents"])
