"""An approver decides from the web widget, in a real Chromium: the Approve / Reject message
pushed to her open widget, in the language she speaks there, and her click approving."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from tests.browser import ARTIFACTS
from tests.connectors.web.conftest import MARIE

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
