"""An incident notice and a satisfaction survey in the widget, in a real Chromium: "Notify me"
on the notice's suggestion, the update pushed into the open chat, the survey's buttons after a
ticket closes, and its answer on the console's KPI page; screenshots in French and English."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from bot.kernel.notices import NewNotice
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from tests.bot.console.test_browser import _form_sign_in
from tests.browser import ARTIFACTS
from tests.connectors.web.conftest import MARIE

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SAID = {
    "en": {
        "told": "You will be told here",
        "update": 'Update on the incident "SAP is down for everyone".',
        "survey": "is closed. How satisfied are you",
        "comment": "Anything to add?",
        "thanks": "your comment is noted",
    },
    "fr": {
        "told": "Vous serez prévenu ici",
        "update": "Du nouveau sur l'incident «\u00a0SAP est indisponible pour tous\u00a0».",
        "survey": "est clos. Êtes-vous satisfait",
        "comment": "Quelque chose à ajouter\u202f?",
        "thanks": "votre commentaire est noté",
    },
}


def _notice(body_en: str, body_fr: str) -> NewNotice:
    return NewNotice(
        title_en="SAP is down for everyone",
        title_fr="SAP est indisponible pour tous",
        body_en=body_en,
        body_fr=body_fr,
        severity="outage",
        tags=["sap"],
    )


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_a_notice_subscribed_from_the_omnibox_and_a_survey_reach_the_widget(
    page: Page, browser: Browser, live_server: str, web_services: Services, language: str
) -> None:
    said = SAID[language]
    notice = await web_services.notices.publish(_notice("We are on it.", "Nous nous en occupons."))
    await page.goto("/")
    await page.get_by_role("button", name=language.upper(), exact=True).click()
    await page.locator("#guichet-widget .launcher").click()
    combobox = page.get_by_role("combobox")
    await combobox.press_sequentially("sap", delay=30)
    option = page.locator(".option.type-incident_notice").first
    await expect(option).to_be_visible()
    notify = option.locator("button.notify")
    await notify.click()
    await expect(notify).to_have_text(said["told"])
    assert await web_services.subscriptions.subscribed(notice.id, MARIE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"widget-notice-notify-{language}.png"))

    # Marie chats; the service desk updates the notice: the update comes into the chat
    await combobox.fill("hello" if language == "en" else "bonjour")
    await combobox.press("Enter")
    log = page.get_by_role("log")
    await expect(log.locator(".message.bot").first).to_be_visible()
    await web_services.notices.update(
        notice.id, _notice("Fix expected at 11:00.", "Retour prévu à 11 h.")
    )
    await expect(log).to_contain_text(said["update"], timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / f"widget-notice-pushed-{language}.png"))

    # her ticket closes: the survey, its five buttons, then a comment
    ticket = await web_services.tickets.create(
        NewTicket(
            kind="incident", requester=MARIE, channel="web", conversation_id=None,
            title="SAP is down", description="error 503", category="software",
            impact="person", urgency="low", priority="P4", language=language,
        )
    )  # fmt: skip
    await web_services.tickets.transition(ticket.reference, "resolved", actor="bo@it")
    await web_services.tickets.transition(ticket.reference, "closed", actor="bo@it")
    survey = log.locator(".message.bot").filter(has_text=said["survey"]).last
    await expect(survey).to_be_visible(timeout=10_000)
    scores = survey.get_by_role("button")
    await expect(scores).to_have_text(["1", "2", "3", "4", "5"])
    await scores.nth(3).click()
    await expect(log).to_contain_text(said["comment"])
    reply = page.get_by_role("textbox", name=re.compile("reply|réponse", re.I))
    await reply.fill("Quick, thanks" if language == "en" else "Rapide, merci")
    await reply.press("Enter")
    await expect(log).to_contain_text(said["thanks"])
    await page.screenshot(path=str(ARTIFACTS / f"widget-survey-{language}.png"))
    assert (await web_services.surveys.score(ticket.reference))[0] == 4

    # the console's KPIs: CSAT beside FCR, MTTR and the reopen rate
    await web_services.auth.create_user(
        "zoe@norvane.example", role="agent", password="correct horse 42"
    )
    context = await browser.new_context(base_url=live_server, locale="en-GB")
    console = await context.new_page()
    await _form_sign_in(
        console, live_server, "zoe@norvane.example", "correct horse 42", "/console/kpis"
    )
    await console.goto(f"{live_server}/console/kpis?lang={language}")
    csat = console.locator("#kpi-csat .figure")
    await expect(csat).to_contain_text(re.compile(r"100[.,]0\s?%"))
    await expect(csat).to_contain_text("(1/1)")
    await expect(console.locator("#kpi-backlog .figure")).to_have_text("0")
    await console.screenshot(
        path=str(ARTIFACTS / f"console-kpis-csat-{language}.png"), full_page=True
    )
    await context.close()
