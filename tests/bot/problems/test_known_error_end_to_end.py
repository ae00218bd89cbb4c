"""The whole way, on the real app served over HTTP, in Chromium, with ServiceNow replayed: an
agent opens a problem from an outage parent, records and publishes its workaround; the next
employee describing the same thing in the widget is offered the workaround, their ticket is
linked to the problem (in ServiceNow too, through `problem_id`), and the KPIs count it."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from pydantic import SecretStr

from bot.app.services import open_services, problem_sync_worker, sync_worker
from bot.app.web import create_app
from bot.insights.period import parse_period
from bot.insights.problem_kpis import problem_kpis
from bot.kernel.domain import utcnow
from bot.services import Components, Services
from bot.settings import KnowledgeSettings
from bot.settings.web import WebSettings
from knowledge_index.index import SearchQuery
from knowledge_index.service import open_knowledge_base
from tests.bot.problems.conftest import ServiceNow, report_outage, synced_settings
from tests.browser import ARTIFACTS, chromium, served
from tests.conftest import ROOT, copy_cached_index

pytestmark = [pytest.mark.integration, pytest.mark.slow]
AGENT, PASSWORD = "zoe@norvane.example", "correct horse 42"
MARIE = "marie.dupont@norvane.example"  # the demo page's employee
PORTAL_KEY = "portal-test-key-" + "0123456789abcdef" * 3
SHOTS = ARTIFACTS / "problems"
WORKAROUND_EN = (
    "Log in through https://sap-backup.norvane.example until the certificate is renewed."
)
WORKAROUND_FR = (
    "Connectez-vous par https://sap-backup.norvane.example en attendant le renouvellement "
    "du certificat."
)


@dataclass
class Running:
    services: Services
    url: str


@pytest.fixture
async def running(
    components: Components, tmp_path: Path, servicenow: ServiceNow
) -> AsyncIterator[Running]:
    """The app on a copy of the sample knowledge base (publishing writes into it)."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(ROOT / "knowledge_index" / "sample_kb", kb_dir)
    settings = synced_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
        servicenow,
        knowledge=KnowledgeSettings(kb_dir=kb_dir),
        web=WebSettings(portal_key=SecretStr(PORTAL_KEY)),
    )
    copy_cached_index(settings.index_dir)  # that same content's: nothing to embed again
    knowledge = await anyio.to_thread.run_sync(
        lambda: open_knowledge_base(kb_dir, settings.index_dir, components.embedder)
    )
    own = Components(
        embedder=components.embedder,
        knowledge=knowledge,
        parser=components.parser,
        languages=components.languages,
    )
    services = await open_services(settings, own)
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    try:
        async with served(create_app(settings, services)) as url:
            yield Running(services, url)
    finally:
        await services.close()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


async def _signed_in(browser: Browser, url: str, locale: str) -> Page:
    context = await browser.new_context(
        base_url=url, viewport={"width": 1100, "height": 900}, locale=locale
    )
    page = await context.new_page()
    await page.goto("/console/login")
    await page.locator("input[name=email]").fill(AGENT)
    await page.locator("input[name=password]").fill(PASSWORD)
    await page.locator("button[type=submit]").last.click()
    await page.wait_for_url(re.compile(r"/console"))
    return page


async def _sync(services: Services) -> None:
    tickets, problems = sync_worker(services), problem_sync_worker(services)
    assert tickets is not None and problems is not None
    try:
        await tickets.deliver_once()
        await problems.deliver_once()
    finally:
        await tickets.aclose()
        await problems.aclose()


async def test_a_published_workaround_reaches_the_next_matching_incident(
    running: Running, browser: Browser, servicenow: ServiceNow
) -> None:
    services = running.services
    parent = await report_outage(services)
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The agent opens the problem from the outage parent, in the console.
    agent = await _signed_in(browser, running.url, "en-GB")
    await agent.goto("/console/problems")
    row = agent.locator(f"#parents tr[data-reference='{parent}']")
    await row.get_by_role("button", name="Open a problem").click()
    await agent.wait_for_url(re.compile(r"/console/problems/PRB-000001$"))
    await expect(agent.locator("#incidents tbody tr")).to_have_count(4)

    # ...records the root cause and the workaround in both languages, and publishes it.
    analysis = agent.locator("#analysis")
    await analysis.locator("textarea[name=description]").fill(
        "SAP is down, it shows an error 503 when I log in\n"
        "SAP est en panne, erreur 503 à la connexion"
    )
    await analysis.locator("textarea[name=root_cause]").fill(
        "The SAP login server's certificate expired."
    )
    await analysis.locator("textarea[name=workaround_en]").fill(WORKAROUND_EN)
    await analysis.locator("textarea[name=workaround_fr]").fill(WORKAROUND_FR)
    await analysis.get_by_role("button", name="Save").click()
    await agent.wait_for_url(re.compile(r"/console/problems/PRB-000001$"))
    await agent.locator("#publish button").click()
    await expect(agent.locator("#published")).to_be_visible()
    await expect(agent.locator("#status")).to_have_text("known error")
    await agent.screenshot(path=str(SHOTS / "problem-en.png"), full_page=True)
    await agent.goto("/console/problems/PRB-000001?lang=fr")
    await expect(agent.locator("#status")).to_have_text("erreur connue")
    await agent.screenshot(path=str(SHOTS / "problem-fr.png"), full_page=True)

    # The known error is in the index: search and the omnibox find it, in each language.
    hits = await services.knowledge.search(
        SearchQuery("SAP error 503 at login", "en", types=("known_error",))
    )
    assert hits[0].entry.group == "known-error-prb-000001"
    async with httpx.AsyncClient(base_url=running.url) as client:
        found = await client.get("/api/v1/suggest", params={"q": "SAP erreur 503", "lang": "fr"})
    assert any(s.get("url") == "/kb/fr/known-error-prb-000001" for s in found.json()["suggestions"])

    # The next employee describes the same thing in the widget, in French then in English.
    for locale, language in (("fr-FR", "fr"), ("en-GB", "en")):
        context = await browser.new_context(
            base_url=running.url, viewport={"width": 1100, "height": 900}, locale=locale
        )
        page = await context.new_page()
        await page.goto("/")
        if language == "fr":
            await page.get_by_role("button", name="FR", exact=True).click()
        await page.get_by_role(
            "button", name="Aide informatique" if language == "fr" else "IT help"
        ).click()
        combobox = page.get_by_role("combobox")
        text = (
            "SAP est en panne, erreur 503 à la connexion"
            if language == "fr"
            else "SAP is down with an error 503 when I log in"
        )
        await combobox.press_sequentially(text, delay=10)
        await expect(page.locator("#g-count")).to_have_text(re.compile(r"\d+"))
        await combobox.press("ArrowUp")
        await combobox.press("ArrowUp")
        await combobox.press("Enter")
        log = page.get_by_role("log")
        buttons = {
            "fr": ("Mon équipe", "Ça bloque mon travail", "Oui"),
            "en": ("My team", "It blocks my work", "Yes"),
        }[language]
        await log.get_by_role("button", name=buttons[0]).last.click()
        await log.get_by_role("button", name=buttons[1]).last.click()
        workaround = WORKAROUND_FR if language == "fr" else WORKAROUND_EN
        offered = log.locator(".message.bot", has_text=workaround)
        await expect(offered).to_have_count(1)
        await offered.scroll_into_view_if_needed()
        await page.screenshot(path=str(SHOTS / f"widget-workaround-{language}.png"))
        await log.get_by_role("button", name=buttons[2], exact=True).last.click()
        await expect(log.locator(".message.bot").last).to_contain_text(re.compile(r"INC-\d+"))
        await context.close()
        # The workaround did it: the service desk resolves the ticket (and the next one
        # is not offered as a duplicate of it).
        mine = await services.tickets.find(requester=MARIE, kind="incident")
        await services.tickets.transition(mine[0].reference, "resolved", actor=AGENT)

    problem = await services.problems.get("PRB-000001")  # type: ignore[union-attr]
    assert len(problem.incidents) == 6
    newest = await services.tickets.get(problem.incidents[-1])
    assert newest.details["known_error"] == "PRB-000001"

    # Upstream: ServiceNow's incident points at the problem.
    await _sync(services)
    (record,) = servicenow.instance.tables["problem"]
    assert record["known_error"] == "true" and "sap-backup" in record["workaround"]
    upstream = next(
        i for i in servicenow.instance.tables["incident"] if i["correlation_id"] == newest.reference
    )
    assert upstream["problem_id"] == record["sys_id"]

    # The KPIs count them: recurring, and closed by the known error once resolved.
    figures = await problem_kpis(services.database, parse_period(None, None, now=utcnow()))
    assert figures.linked_to_problem == 6
    assert figures.closed_by_known_error.numerator == 2
    assert figures.closed_by_known_error.denominator == 6
    await agent.goto("/console/kpis?lang=en")
    await expect(agent.locator("#kpi-known-error")).to_contain_text("(2/6)")
    await expect(agent.locator("#problem-kpis")).to_contain_text("closed by a known error")

    # Resolving the problem retires the known error from the index.
    await services.problems.transition("PRB-000001", "resolved", actor=AGENT)  # type: ignore[union-attr]
    hits = await services.knowledge.search(
        SearchQuery("SAP error 503 at login", "en", types=("known_error",))
    )
    assert all(h.entry.group != "known-error-prb-000001" for h in hits)
    assert await services.problems.offered() == []  # type: ignore[union-attr]
