"""An approver decides from the web widget, in a real Chromium: the Approve / Reject message
pushed to her open widget, in the language she speaks there, and her click approving."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from tests.bot.auth.helpers import bearer
from tests.browser import ARTIFACTS
from tests.connectors.web.conftest import MARIE, Mint
from tests.connectors.web.test_http import auth

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOHN = "john.smith@norvane.example"


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_an_approver_approves_in_the_widget(
    page: Page, web_services: Services, language: str
) -> None:
    # Marie (the demo portal's user) is one of the purchasing approvers
    await web_services.directory.add_to_group(MARIE, "purchasing")
    await page.goto("/")
    await page.get_by_role("button", name=language.upper(), exact=True).click()
    await page.locator("#guichet-widget .launcher").click()
    combobox = page.get_by_role("combobox")
    await combobox.fill("bonjour" if language == "fr" else "hello")
    await combobox.press("Enter")
    log = page.get_by_role("log")
    await expect(log.locator(".message.bot").first).to_be_visible()

    ticket = await web_services.tickets.create(
        NewTicket(
            kind="request",
            requester=JOHN,
            channel="web",
            conversation_id=None,
            title='Order: 24" monitor (Dell P2425H)',
            description='24" monitor',
            category="request",
            impact="person",
            urgency="low",
            priority="P5",
            language="en",
            details={
                "catalog_item": "monitor-24",
                "fields": {"delivery_location": "home"},
                "cost_eur": 190,
                "approver": "group:purchasing",
                "approval": "waiting",
            },
        )
    )
    await web_services.tickets.transition(ticket.reference, "pending", actor="guichet:approval")
    await web_services.approvals.request(ticket.reference)

    approve = "Approuver" if language == "fr" else "Approve"
    asked = log.locator(".message.bot", has_text=ticket.reference).last
    await expect(asked).to_contain_text("John Smith")
    await expect(asked).to_contain_text("190")
    await expect(
        asked.get_by_role("button", name="Refuser" if language == "fr" else "Reject")
    ).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"widget-approval-{language}.png"))

    await asked.get_by_role("button", name=approve).click()
    done = "vous avez approuvé" if language == "fr" else "you approved"
    await expect(log.locator(".message.bot").last).to_contain_text(re.compile(done))
    await page.screenshot(path=str(ARTIFACTS / f"widget-approved-{language}.png"))
    approved = await web_services.tickets.get(ticket.reference)
    assert approved.status == "assigned"
    assert approved.details["approver_decision_by"] == MARIE


async def test_a_claimed_identity_cannot_decide_only_the_widgets_proven_one(
    web_client: httpx.AsyncClient, web_services: Services, mint: Mint
) -> None:
    """An agent (or an integration's token) speaking through the generic API as the approver,
    on a channel name it claims or in her own conversation, decides nothing; her widget does."""
    await web_services.directory.add_to_group(MARIE, "purchasing")
    marie = auth(mint(MARIE))
    widget = (
        await web_client.post("/widget/api/conversations", json={"language": "en"}, headers=marie)
    ).json()
    said = f"/widget/api/conversations/{widget['id']}/messages"
    assert (await web_client.post(said, json={"text": "hello"}, headers=marie)).status_code == 200
    ticket = await web_services.tickets.create(
        NewTicket(
            kind="request", requester=JOHN, channel="web", conversation_id=None,
            title="Order: admin rights", description="admin rights", category="request",
            impact="person", urgency="low", priority="P5", language="en",
            details={"approver": "group:purchasing", "approval": "waiting", "fields": {}},
        )
    )  # fmt: skip
    await web_services.tickets.transition(ticket.reference, "pending", actor="guichet:approval")
    assert (await web_services.approvals.request(ticket.reference)).details["approvers"] == [MARIE]
    approve = f'/approve_request{{"ticket": "{ticket.reference}"}}'
    reject = f'/reject_request{{"ticket": "{ticket.reference}"}}'
    agent = await bearer(web_services, role="agent", email="zoe@norvane.example")
    admin = await bearer(web_services, role="admin")

    async def unchanged() -> None:
        now = await web_services.tickets.get(ticket.reference)
        assert now.status == "pending" and now.details["approval"] == "waiting"
        history = await web_services.tickets.store.history(ticket.reference)
        assert "approval" not in [e.kind for e in history]

    # an agent may not claim her Slack
    claimed = await web_client.post(
        "/api/v1/conversations", json={"user": MARIE, "channel": "slack"}, headers=agent
    )
    assert claimed.status_code == 403 and "'slack'" in claimed.json()["detail"]
    # an admin may start one, but what is said there is not proven to be hers
    for caller, channel in ((admin, "slack"), (agent, "api")):
        started = await web_client.post(
            "/api/v1/conversations", json={"user": MARIE, "channel": channel}, headers=caller
        )
        assert started.status_code == 201, started.text
        sent = await web_client.post(
            f"/api/v1/conversations/{started.json()['id']}/messages",
            json={"text": approve},
            headers=caller,
        )
        assert sent.status_code == 200
        assert "where Guichet knows who you are" in sent.json()["replies"][0]["text"]
        await unchanged()
    # nor is what an agent writes into her own widget conversation
    into_hers = f"/api/v1/conversations/{widget['id']}/messages"
    sent = await web_client.post(into_hers, json={"text": approve}, headers=agent)
    assert "Nothing was changed" in sent.json()["replies"][0]["text"]
    await unchanged()
    # she presses Reject in her widget; the agent answers "why?" in her place
    why = await web_client.post(said, json={"text": reject}, headers=marie)
    assert "Why do you reject" in why.json()["replies"][0]["text"]
    sent = await web_client.post(into_hers, json={"text": "no budget"}, headers=agent)
    assert "Nothing was changed" in sent.json()["replies"][0]["text"]
    await unchanged()
    # and as himself, the agent may not decide before the service desk has it
    refused = await web_client.post(
        f"/api/v1/tickets/{ticket.reference}/approval", json={"approved": True}, headers=agent
    )
    assert refused.status_code == 403
    await unchanged()

    done = await web_client.post(said, json={"text": approve}, headers=marie)
    assert "you approved" in done.json()["replies"][0]["text"]
    approved = await web_services.tickets.get(ticket.reference)
    assert approved.status == "assigned" and approved.details["approver_decision_by"] == MARIE
