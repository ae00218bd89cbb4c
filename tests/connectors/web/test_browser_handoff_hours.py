"""In a real Chromium, in English and French: at 04:20 on a Saturday the widget's hand-off says
when agents are back and files the ticket; its link opens the ticket page signed in, without a
password. Screenshots under var/test-artifacts/signin/."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, expect

from bot.services import Services
from tests.browser import ARTIFACTS
from tests.connectors.web.test_browser import open_widget

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SATURDAY_NIGHT = datetime(2026, 12, 5, 3, 20, tzinfo=UTC)  # 04:20 in Paris
SHOTS = ARTIFACTS / "signin"
SAID = {
    "en": ("I want to talk to a human agent", "agents are back on Monday, December 7", "History"),
    "fr": ("je veux parler à un technicien", "de retour le lundi 7 décembre", "Historique"),
}


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_out_of_hours_hand_off_then_the_ticket_page_from_its_link(
    browser: Browser, live_server: str, web_services: Services, language: str
) -> None:
    web_services.engine.forms.extras["clock"] = lambda: SATURDAY_NIGHT
    asked, back, history = SAID[language]
    context = await browser.new_context(
        base_url=live_server,
        viewport={"width": 1100, "height": 820},
        locale="fr-FR" if language == "fr" else "en-GB",
        timezone_id="Europe/Paris",
    )
    page = await context.new_page()
    try:
        await open_widget(page)
        if language == "fr":  # the widget's own language switch
            await (
                page.get_by_role("group", name="Language").get_by_role("button", name="FR").click()
            )
        combobox = page.get_by_role("combobox")
        await combobox.fill(asked)
        await combobox.press("Enter")
        log = page.get_by_role("log")
        await expect(log.locator(".message.bot").last).to_contain_text(back, timeout=20_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=SHOTS / f"handoff-out-of-hours-{language}.png")
        link = log.locator(".message.bot a.link").last
        await expect(link).to_have_text(re.compile(r"INC-\d+"))
        reference = await link.text_content()
        await link.click()
        await expect(page).to_have_url(re.compile(rf"/tickets/{reference}$"))
        await expect(page.locator("h1")).to_contain_text(str(reference))
        await expect(page.locator("#history")).to_be_visible()
        await expect(page.get_by_role("heading", name=history)).to_be_visible()
        assert await page.locator('input[type="password"]').count() == 0
        await page.screenshot(path=SHOTS / f"ticket-from-chat-link-{language}.png", full_page=True)
    finally:
        await context.close()
