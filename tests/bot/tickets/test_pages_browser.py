"""The employee's ticket page in a real headless Chromium (Debian's, driven by Playwright), in
French: the link the bot gives for "where is my ticket?" leads to the sign-in page and back to
the ticket; the employee adds a comment, and once the service desk resolves it, confirms that it
works. The ticket is closed through the ticket service, with its history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.ticket_models import NewTicket
from bot.services import Components, Services
from bot.settings import load_settings
from tests.bot.dialogue.chat import Chat
from tests.browser import ARTIFACTS, chromium, csp_violations, served

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ANN = "ann@norvane.example"
PASSWORD = "employee-password-42"


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture
async def services(components: Components, tmp_path: Path) -> AsyncIterator[Services]:
    settings = load_settings(
        data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}"
    )
    opened = await open_services(settings, components)
    try:
        yield opened
    finally:
        await opened.close()


async def test_an_employee_follows_the_bots_link_comments_and_confirms(
    browser: Browser, services: Services
) -> None:
    await services.auth.create_user(ANN, role="employee", display_name="Ann", password=PASSWORD)
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=ANN,
            channel="web",
            conversation_id=None,
            title="Outlook se ferme au démarrage",
            description="Outlook se ferme tout seul dès que je l'ouvre.",
            category="software",
            impact="person",
            urgency="high",
            priority="P5",
            language="fr",
        )
    )
    chat = await Chat.start(services, user=ANN, language="fr")
    await chat.say("/incident_status")
    [link] = [link.url for reply in chat.replies for link in reply.links]
    assert link == f"/tickets/{ticket.reference}"

    async with served(create_app(services.settings, services)) as base:
        context = await browser.new_context(base_url=base, locale="fr-FR")
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        violations = csp_violations(page)
        await page.goto(f"{base}{link}")
        await expect(page).to_have_url(f"{base}/console/login?next={link}")
        # The sign-in page speaks the browser's language (the console is bilingual).
        await page.get_by_label("Adresse e-mail").fill(ANN)
        await page.get_by_label("Mot de passe").fill(PASSWORD)
        await page.get_by_role("button", name="Se connecter").click()

        await expect(page).to_have_url(f"{base}{link}")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.reference)
        await expect(page.locator("#ticket-status")).to_have_text("nouveau")
        await expect(page.locator("#ticket-sync")).to_have_text(
            "Ce ticket est traité dans Guichet uniquement."
        )
        await page.get_by_label("Ajouter un commentaire").fill("Ça recommence ce matin à 9 h.")
        await page.get_by_role("button", name="Envoyer").click()
        await expect(page.get_by_role("status")).to_have_text("Votre commentaire est ajouté.")
        await expect(page.locator("#history li.comment").last).to_contain_text(
            "Ça recommence ce matin à 9 h."
        )

        # The service desk resolves it; the page asks whether it works now.
        await services.tickets.transition(ticket.reference, "assigned", actor="zoe@norvane.example")
        await services.tickets.transition(ticket.reference, "resolved", actor="zoe@norvane.example")
        await page.reload()
        await expect(page.locator("#ticket-status")).to_have_text("résolu")
        await page.get_by_role("button", name="Oui, ça marche").click()
        await expect(page.get_by_role("status")).to_contain_text("le ticket est clos")
        await expect(page.locator("#ticket-status")).to_have_text("clos")
        await expect(page.locator("#history")).to_contain_text("Statut passé de résolu à clos")
        await expect(page.get_by_role("button", name="Oui, ça marche")).to_have_count(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "ticket-page.png"), full_page=True)

        await page.get_by_role("link", name="English").click()
        await expect(page.locator("#ticket-status")).to_have_text("closed")
        assert errors == []
        assert violations == []
        await context.close()

    closed = await services.tickets.store.get(ticket.reference)
    assert closed.status == "closed"
    comments = await services.tickets.store.comments(ticket.reference)
    assert [(c.author, c.body) for c in comments] == [(ANN, "Ça recommence ce matin à 9 h.")]
    last = (await services.tickets.store.history(ticket.reference))[-1]
    assert (last.actor, last.data["status"]) == (ANN, {"from": "resolved", "to": "closed"})
