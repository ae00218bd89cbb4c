"""Chromium, in French and English: the omnibox with a planned maintenance (times in the
browser's zone) and a change's page. Screenshots in var/test-artifacts/changes/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from bot.app.web import create_app
from bot.kernel.changes import PlannedChange
from bot.kernel.language import Language
from bot.kernel.notices import NewNotice
from bot.services import Services
from bot.tickets.maintenance import CalendarSync
from tests.bot.console.test_change_page import END, PAST, START, Calendar, _change, _seed
from tests.browser import ARTIFACTS, chromium, served

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FOLDER = ARTIFACTS / "changes"
SAY = {
    "fr": {
        "launcher": "Aide informatique",
        "when": "en cours jusqu’à 23:00 CET",
        "ratio": "Rapport",
        "switch": "FR",
    },
    "en": {
        "launcher": "IT help",
        "when": "in progress until 11:00\u202fPM CET",
        "ratio": "Ratio",
        "switch": "EN",
    },
}
PASSWORD = "correct horse 42"


@pytest.mark.parametrize("language", ["fr", "en"])
async def test_omnibox_maintenance_and_change_page_in_chromium(
    services: Services, language: Language
) -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    await _seed(services)
    changes: list[PlannedChange] = [
        _change("CHG0030001", "Exchange Online migration wave 2", START, "closed"),
        _change("CHG0029000", "Exchange migration wave 1", PAST, "closed"),
    ]
    await CalendarSync(
        services.database, services.notices, {"servicenow": Calendar(changes)}
    ).read_once(START - timedelta(days=1))
    await services.notices.publish(
        NewNotice(
            kind="maintenance",
            title_en="Planned maintenance: VPN upgrade",
            title_fr="Maintenance planifiée\u00a0: mise à jour du VPN",
            service="VPN",
            tags=["VPN"],
            starts_at=START + timedelta(hours=1),
            ends_at=END,
        )
    )
    services.notices.clock = lambda: START + timedelta(hours=1, minutes=20)
    await services.auth.create_user("ops@norvane.example", role="agent", password=PASSWORD)
    app = create_app(services.settings, services)
    say = SAY[language]
    async with served(app) as base, chromium() as browser:
        context = await browser.new_context(
            base_url=base,
            viewport={"width": 1100, "height": 820},
            locale="fr-FR" if language == "fr" else "en-GB",
            timezone_id="Europe/Paris",
        )
        page = await context.new_page()
        await page.goto("/")
        await page.get_by_role("button", name=say["switch"], exact=True).click()
        await page.get_by_role("button", name=say["launcher"], exact=True).click()
        combobox = page.get_by_role("combobox")
        await expect(combobox).to_be_visible()
        await combobox.press_sequentially("vpn", delay=25)
        option = page.locator(".option.type-maintenance_notice")
        await expect(option).to_contain_text(say["when"])
        await page.screenshot(path=str(FOLDER / f"omnibox-{language}.png"))

        await page.goto(f"/console/login?lang={language}")
        await page.fill("input[name=email]", "ops@norvane.example")
        await page.fill("input[name=password]", PASSWORD)
        await page.locator("form button[type=submit]").first.click()
        await page.goto(f"/console/changes/CHG0030001?lang={language}")
        await expect(page.locator("#impact")).to_contain_text(say["ratio"])
        await expect(page.locator("#failing-searches .ratio")).to_have_text(re.compile(r"×"))
        await page.screenshot(path=str(FOLDER / f"change-{language}.png"), full_page=True)
        await context.close()
