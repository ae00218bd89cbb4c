"""One sign-in: a widget user follows the ticket link the bot gave in chat and sees their ticket
with a plain HTTP client, without any Guichet password; the link works once; another's ticket
stays forbidden; the pages speak French with `Accept-Language: fr`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.app.web import create_app
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Services
from tests.connectors.web.conftest import MARIE, PAUL, Mint

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ticket_of(services: Services, requester: str, title: str) -> Ticket:
    return await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=requester,
            channel="web",
            conversation_id=None,
            title=title,
            description=title,
            category="network",
            impact="person",
            urgency="high",
            priority="P3",
            language="en",
        )
    )


@pytest.fixture
async def app(web_services: Services) -> Any:
    app = create_app(web_services.settings, web_services)
    async with app.router.lifespan_context(app):
        yield app


def browser(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """A plain HTTP client with its own cookie jar, as a new browser would be."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers={**HTML, **headers},
    )


async def link_from_chat(app: FastAPI, token: str, text: str, language: str = "en") -> str:
    """What the bot links to when the widget user writes `text`."""
    async with browser(app) as widget:
        started = await widget.post(
            "/widget/api/conversations", json={"language": language}, headers=auth(token)
        )
        conversation = started.json()["id"]
        sent = await widget.post(
            f"/widget/api/conversations/{conversation}/messages",
            json={"text": text},
            headers=auth(token),
        )
        assert sent.status_code == 200, sent.text
        links = [link["url"] for reply in sent.json()["replies"] for link in reply["links"]]
        assert len(links) == 1, sent.json()
        # The transcript, which agents read in the console, keeps the clean link.
        again = await widget.get(f"/widget/api/conversations/{conversation}", headers=auth(token))
        assert "signin=" not in again.text
        return links[0]


async def test_the_chat_link_opens_the_ticket_without_a_password_once(
    app: FastAPI, web_services: Services, mint: Mint
) -> None:
    mine = await ticket_of(web_services, MARIE, "VPN drops every hour")
    theirs = await ticket_of(web_services, PAUL, "Printer jammed on floor 3")
    link = await link_from_chat(app, mint(MARIE), "where is my ticket?")
    assert link.startswith(f"/tickets/{mine.reference}?signin=")

    async with browser(app) as marie:
        arrived = await marie.get(link)
        assert arrived.status_code == 303
        assert arrived.headers["location"] == f"/tickets/{mine.reference}"  # token left behind
        assert arrived.headers["referrer-policy"] == "no-referrer"
        page = await marie.get(arrived.headers["location"])
        assert page.status_code == 200 and "VPN drops every hour" in page.text
        assert 'type="password"' not in page.text
        other = await marie.get(f"/tickets/{theirs.reference}")
        assert other.status_code == 403 and "Printer jammed" not in other.text
        console = await marie.get("/console")  # an employee session, not an agent's
        assert console.status_code == 403
        # The same link again in the same browser: already signed in, on to the page.
        assert (await marie.get(link)).headers["location"] == f"/tickets/{mine.reference}"

    async with browser(app) as stranger:  # the link copied from history, or sent on
        refused = await stranger.get(link)
        assert refused.status_code == 410
        assert "can no longer be used" in refused.text and "my tickets" in refused.text
        assert 'type="password"' not in refused.text and "VPN drops" not in refused.text
        assert "set-cookie" not in refused.headers or "guichet_session" not in str(
            refused.headers.get_list("set-cookie")
        )
        assert (await stranger.get(f"/tickets/{mine.reference}")).status_code == 303  # to sign in

    audit = await web_services.auth.audit_entries(actor=MARIE)
    assert [entry.action for entry in audit] == ["login.chat_link"]


async def test_pages_opened_from_the_chat_speak_french(
    app: FastAPI, web_services: Services, mint: Mint
) -> None:
    mine = await ticket_of(web_services, MARIE, "Le VPN coupe toutes les heures")
    link = await link_from_chat(app, mint(MARIE), "où en est mon ticket ?", language="fr")
    async with browser(app, **{"Accept-Language": "fr-FR,fr;q=0.9"}) as marie:
        page = await marie.get(link, follow_redirects=True)
        assert page.status_code == 200 and '<html lang="fr">' in page.text
        assert f"Ticket {mine.reference}" in page.text and "Historique" in page.text
        assert "Mes tickets" in page.text and "History" not in page.text
        spent = await httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet.test",
            headers={**HTML, "Accept-Language": "fr"},
        ).get(link)
        assert spent.status_code == 410 and "Ce lien ne peut plus servir" in spent.text
    async with browser(app, **{"Accept-Language": "fr"}) as stranger:
        to_sign_in = await stranger.get(f"/tickets/{mine.reference}", follow_redirects=True)
        assert '<html lang="fr">' in to_sign_in.text and "Se connecter" in to_sign_in.text
        assert "Vous cherchez votre ticket" in to_sign_in.text  # employees: no password here
