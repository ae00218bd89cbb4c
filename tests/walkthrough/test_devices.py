"""The devices, seen in Chromium as people see them (screenshots in var/test-artifacts/devices):
Marie filing "my screen does not turn on" in the widget is asked about her monitor, with a
button for it and one for another device; the agent sees her devices beside the escalation."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from bot.app.web import create_app
from bot.kernel.language import Language
from bot.services import Services
from tests.browser import ARTIFACTS, served
from tests.walkthrough.test_a_day_at_work import (  # noqa: F401 - fixtures
    SAY,
    Widget,
    _context,
    _sign_in,
    browser,
    guichet,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCREEN = {
    "fr": ("Je voudrais ouvrir un ticket : mon écran ne s'allume plus", "Est-ce votre", "Un autre"),
    "en": ("I'd like to open a ticket: my screen does not turn on", "Is it your", "Another one"),
}
IMPACT = {"fr": "Moi seulement", "en": "Only me"}
URGENCY = {"fr": "Ça bloque mon travail", "en": "It blocks my work"}
DEVICES = {"fr": "Appareils", "en": "Devices"}


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_the_widget_proposes_the_monitor_and_the_console_lists_the_devices(
    browser: Browser,  # noqa: F811
    guichet: Services,  # noqa: F811
    language: Language,
) -> None:
    folder = ARTIFACTS / "devices" / language
    folder.mkdir(parents=True, exist_ok=True)
    said, question, another = SCREEN[language]
    async with served(create_app(guichet.settings, guichet)) as base:
        marie = await _context(browser, base, language)
        page = await marie.new_page()
        await page.goto("/")
        await page.get_by_role("button", name=SAY[language]["page_switch"], exact=True).click()
        widget = Widget(page, SAY[language])
        await widget.open()
        await widget.combobox.fill(said)  # the omnibox: Enter asks the chat
        await widget.combobox.press("Enter")
        await widget.answered(0)
        for label in (IMPACT[language], URGENCY[language]):
            if await widget.log.get_by_role("button", name=label, exact=True).count():
                await widget.press(label)
        asked = widget.bot.last
        await expect(asked).to_contain_text(question)
        await expect(asked).to_contain_text("MON-01877")
        await expect(widget.log.get_by_role("button", name=another, exact=True)).to_be_visible()
        await expect(widget.log.get_by_role("button", name='P2422H 24", MON-01877')).to_be_visible()
        await page.screenshot(path=str(folder / "1-device-proposal.png"))
        await widget.tell("/human_handoff")

        zoe = await _context(browser, base, language)
        console = await zoe.new_page()
        await _sign_in(console)
        await console.locator("a[href^='/console/escalations/']").first.click()
        devices = console.locator("#devices")
        await expect(console.get_by_role("heading", name=DEVICES[language])).to_be_visible()
        await expect(devices).to_contain_text("Latitude 5550, PC-04512")
        await expect(devices).to_contain_text("Visio")
        await console.screenshot(path=str(folder / "2-console-devices.png"), full_page=True)
        await marie.close()
        await zoe.close()
