"""Approvals in the console, in a real headless Chromium: an escalation arrives live on the
queue page's banner and in the approvals list (no reload), in English and in French, and an
agent rejects with a reason from the page; screenshots of both languages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from bot.app.web import create_app
from bot.kernel.domain import utcnow
from bot.services import Services
from tests.bot.tickets.test_approvals import CLAIRE, JOHN, MARIE, PAUL, on_the_web, order_monitor
from tests.browser import ARTIFACTS, chromium, csp_violations, served

pytestmark = [pytest.mark.integration, pytest.mark.slow]
PASSWORD = "agent-password-42"
ZOE = "zoe@norvane.example"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def _sign_in(page: Page, base: str) -> None:
    await page.goto(f"{base}/console/login?lang=en")
    await page.get_by_label("E-mail").fill(ZOE)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Escalations")).to_be_visible()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_escalation_arrives_live_and_the_agent_rejects_it(
    browser: Browser, services: Services
) -> None:
    await services.auth.create_user(ZOE, role="agent", password=PASSWORD)
    await on_the_web(services, CLAIRE)
    marie = (await order_monitor(services, MARIE)).reference  # Claire's to decide
    paul = (await order_monitor(services, PAUL)).reference  # no manager: the service desk's
    later = utcnow() + timedelta(hours=services.settings.approvals.escalate_after_hours + 1)
    services.approvals.clock = lambda: later
    john = (await order_monitor(services, JOHN, "en")).reference  # asked later: Claire's
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # the clock is the test's: no background round escalating before the pages are open
    settings = services.settings.model_copy(
        update={"approvals": services.settings.approvals.model_copy(update={"run_worker": False})}
    )
    app = create_app(settings, services)
    async with served(app) as base:
        context = await browser.new_context(base_url=base, locale="en-GB")
        queue = await context.new_page()
        errors: list[str] = []
        violations = [csp_violations(queue)]
        queue.on("pageerror", lambda error: errors.append(str(error)))
        await _sign_in(queue, base)
        banner = queue.locator("#approvals-banner")
        await expect(banner).to_have_text(f"1 approval waits for the service desk: {paul}")
        listing = await context.new_page()
        violations.append(csp_violations(listing))
        listing.on("pageerror", lambda error: errors.append(str(error)))
        await listing.goto("/console/approvals")
        rows = listing.locator("#approval-rows tr")
        await expect(rows.first).to_have_attribute("data-reference", paul)
        await expect(rows).to_have_count(3)
        await expect(rows.nth(1)).to_contain_text("Waiting for the approver")

        # Claire said nothing in time: the service desk sees it arrive on both pages, live
        assert await services.approvals.check_overdue() == (0, 1)
        await expect(banner).to_have_text(f"2 approvals wait for the service desk: {marie}, {paul}")
        await expect(banner).to_have_class("approvals-banner fresh")
        await expect(rows.first).to_have_attribute("data-reference", marie)
        first = rows.first
        await expect(first).to_contain_text("Escalated")
        await expect(first).to_contain_text("No decision in time: handed to the service desk")
        await expect(first).to_contain_text("Marie Dupont")
        await expect(first).to_contain_text("Claire Martin")
        await expect(rows.nth(2)).to_have_attribute("data-reference", john)
        await expect(rows.nth(2).get_by_role("button", name="Approve")).to_have_count(0)
        await listing.screenshot(path=str(ARTIFACTS / "console-approvals-en.png"), full_page=True)
        await queue.screenshot(path=str(ARTIFACTS / "console-queue-approvals-en.png"))

        await listing.locator("#switch-language").click()
        heading = listing.get_by_role("heading", name="Demandes en attente d'approbation")
        await expect(heading).to_be_visible()
        first = listing.locator(f'#approval-rows tr[data-reference="{marie}"]')
        await expect(first).to_contain_text("Escaladée")
        await expect(first).to_contain_text("Centre de services")
        await expect(first).to_contain_text("Lieu de livraison\u00a0: Site de Lyon")
        await listing.screenshot(path=str(ARTIFACTS / "console-approvals-fr.png"), full_page=True)

        await first.get_by_text("Refuser…").click()
        await first.get_by_label("Motif (le demandeur le lira)").fill("Écrans en stock à Lyon")
        await first.get_by_role("button", name="Refuser", exact=True).click()
        await expect(listing.get_by_role("status").first).to_have_text(
            f"{marie} refusée\u00a0: le demandeur en est informé."
        )
        await expect(listing.locator(f'#approval-rows tr[data-reference="{marie}"]')).to_have_count(
            0
        )
        await listing.screenshot(
            path=str(ARTIFACTS / "console-approvals-decided-fr.png"), full_page=True
        )
        await expect(banner).to_have_text(f"1 approval waits for the service desk: {paul}")
        assert errors == [] and violations == [[], []]
        await context.close()
    rejected = await services.tickets.get(marie)
    assert rejected.status == "rejected" and rejected.details["approver_decision_by"] == ZOE
    assert rejected.details["approval_reason"] == "Écrans en stock à Lyon"
