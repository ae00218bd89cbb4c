"""The employee's ticket pages over HTTP, on SQLite and PostgreSQL: who may see a ticket, the
sign-in round trip, French and English, what the history shows and hides, the sync state in
plain words, and the forms (CSRF, comment, close, reopen) going through the ticket service."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.app.services import open_services
from bot.app.web import create_app
from bot.auth import Role
from bot.kernel.formats import when
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Components, Services
from bot.settings import load_settings
from connectors.web.tokens import DEMO_ISSUER, demo_key, mint_token

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}
PASSWORD = "correct horse 42"
ANN, BOB, ZOE = "ann@norvane.example", "bob@norvane.example", "zoe@norvane.example"
SECRET_IN_CHAT = "Tr0ub4dor-and-more"


@pytest.fixture
async def services(
    components: Components, database_url: str, tmp_path: Path
) -> AsyncIterator[Services]:
    """Tickets are pushed to one ITSM backend (`glpi`) through the outbox; no worker runs, so
    the tests decide what was delivered."""
    settings = load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        tickets={"sync_backends": ["glpi"], "run_sync_worker": False},
    )
    opened = await open_services(settings, components)
    users: tuple[tuple[str, Role], ...] = ((ANN, "employee"), (BOB, "employee"), (ZOE, "agent"))
    for email, role in users:
        await opened.auth.create_user(email, role=role, password=PASSWORD)
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def app(services: Services) -> AsyncIterator[FastAPI]:
    app = create_app(services.settings, services)
    async with app.router.lifespan_context(app):
        yield app


def _browser(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers={**HTML, **headers},
    )


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no {name} in the page"
    return match.group(1)


async def _sign_in(browser: httpx.AsyncClient, email: str, next_page: str = "/console") -> str:
    form = await browser.get(f"/console/login?next={next_page}")
    answer = await browser.post(
        "/console/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": _hidden(form.text, "csrf_token"),
            "next": _hidden(form.text, "next"),
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def _ticket(services: Services, requester: str = ANN, title: str = "VPN drops") -> Ticket:
    return await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=requester,
            channel="web",
            conversation_id=None,
            title=title,
            description="The VPN drops every 10 minutes; my password is hunter2-secret",
            category="network",
            impact="person",
            urgency="high",
            priority="P5",
            language="en",
            details={"transcript": [{"role": "user", "text": f"mdp : {SECRET_IN_CHAT}"}]},
        )
    )


async def _resolved(services: Services, requester: str = ANN) -> Ticket:
    ticket = await _ticket(services, requester)
    await services.tickets.transition(ticket.reference, "assigned", actor=ZOE)
    return await services.tickets.transition(ticket.reference, "resolved", actor=ZOE)


async def test_a_stranger_signs_in_and_lands_on_the_ticket(
    app: FastAPI, services: Services
) -> None:
    ticket = await _ticket(services)
    page = f"/tickets/{ticket.reference}"
    async with _browser(app) as browser:
        for path in ("/tickets", page):
            anonymous = await browser.get(path)
            assert anonymous.status_code == 303
            assert anonymous.headers["location"] == f"/console/login?next={path}"
        refused = await browser.post(f"{page}/comments", data={"text": "hello"})
        assert refused.status_code == 303 and refused.headers["location"].startswith("/console")
        assert await _sign_in(browser, ANN, page) == page
        shown = await browser.get(page)
        assert shown.status_code == 200 and "VPN drops" in shown.text
    assert await services.tickets.store.comments(ticket.reference) == []


async def test_the_widgets_portal_token_is_not_a_session_here(
    app: FastAPI, services: Services
) -> None:
    ticket = await _ticket(services)
    key = demo_key(services.settings)
    assert key is not None
    token = mint_token(ANN, key, issuer=DEMO_ISSUER)
    widget = await _browser(app, Authorization=f"Bearer {token}").get("/widget/api/session")
    assert widget.json()["user"] == ANN  # a good token for the widget
    async with _browser(app, Authorization=f"Bearer {token}") as browser:
        page = await browser.get(f"/tickets/{ticket.reference}")
        assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    async with _browser(app) as browser:
        browser.cookies.set("guichet_session", token)
        page = await browser.get(f"/tickets/{ticket.reference}")
        assert page.status_code == 303 and "VPN drops" not in page.text


async def test_who_may_see_a_ticket(app: FastAPI, services: Services) -> None:
    ticket = await _ticket(services)
    page = f"/tickets/{ticket.reference}"
    async with _browser(app, **{"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}) as bob:
        await _sign_in(bob, BOB)
        other = await bob.get(page)
        assert other.status_code == 403
        assert "Accès refusé" in other.text and "VPN drops" not in other.text
        missing = await bob.get("/tickets/INC-999999")
        assert missing.status_code == 404
        assert "Ticket introuvable" in missing.text and "INC-999999" in missing.text
        assert '<html lang="fr">' in missing.text
        assert ticket.reference not in (await bob.get("/tickets")).text
        tried = await bob.post(
            f"{page}/close", data={"csrf_token": _hidden(other.text, "csrf_token")}
        )
        assert tried.status_code == 403
    async with _browser(app) as zoe:
        await _sign_in(zoe, ZOE)
        seen = await zoe.get(page)
        assert seen.status_code == 200 and "VPN drops" in seen.text
        assert 'id="comment"' not in seen.text  # the page's forms are the requester's
        acted = await zoe.post(
            f"{page}/comments", data={"text": "hi", "csrf_token": _hidden(seen.text, "csrf_token")}
        )
        assert acted.status_code == 403
    assert (await services.tickets.store.get(ticket.reference)).status == "new"
    assert await services.tickets.store.comments(ticket.reference) == []


async def test_the_page_in_french_and_english_shows_the_public_history_only(
    app: FastAPI, services: Services
) -> None:
    ticket = await _ticket(services)
    await services.tickets.update(ticket.reference, actor=ZOE, assignee_group="Network team")
    await services.tickets.transition(ticket.reference, "assigned", actor=ZOE)
    await services.tickets.comment(
        ticket.reference, author=ZOE, body="Internal: user is on the old client", public=False
    )
    await services.tickets.comment(
        ticket.reference, author=ZOE, body="Please update the VPN client.", by_agent=True
    )
    create = (await services.tickets.store.outbox.claim(backend="glpi"))[0]
    await services.tickets.store.outbox.delivered(create, upstream_id="4242")
    page = f"/tickets/{ticket.reference}"
    async with _browser(app, **{"Accept-Language": "fr-CA, en;q=0.8"}) as ann:
        await _sign_in(ann, ANN)
        french = await ann.get(page)
        assert french.status_code == 200
        text = french.text
        for expected in (
            '<html lang="fr">',
            "Statut passé de nouveau à assigné",
            "Réseau",
            "Network team",
            "Please update the VPN client.",
            "Première réponse attendue le",
            "En attente de copie dans glpi",  # the status change is still queued
        ):
            assert expected in text, expected
        for hidden in ("Internal: user is on the old client", SECRET_IN_CHAT, "hunter2-secret"):
            assert hidden not in text, hidden
        assert "[REDACTED:" in text
        english = await ann.get(f"{page}?lang=en")
        assert "Status changed from new to assigned" in english.text
        assert ann.cookies.get("guichet_lang") == "en"
        again = await ann.get(page)  # the choice is remembered over Accept-Language
        assert '<html lang="en">' in again.text and "Category" in again.text
        for item in await services.tickets.store.outbox.claim(backend="glpi"):
            await services.tickets.store.outbox.delivered(item)
        for item in await services.tickets.store.outbox.claim(backend="glpi"):
            await services.tickets.store.outbox.delivered(item)
        synced = await ann.get(page)
        assert "Copied to glpi as 4242; up to date." in synced.text


async def test_my_tickets_open_first(app: FastAPI, services: Services) -> None:
    done = await _ticket(services, title="Old printer")
    await services.tickets.transition(done.reference, "rejected", actor=ZOE)
    current = await _ticket(services, title="Teams crashes")
    await _ticket(services, requester=BOB, title="Bob's screen")
    async with _browser(app) as ann:
        await _sign_in(ann, ANN)
        listed = (await ann.get("/tickets")).text
    assert listed.index("tickets-open") < listed.index(current.reference)
    assert listed.index(current.reference) < listed.index("tickets-done")
    assert listed.index("tickets-done") < listed.index(done.reference)
    assert "Bob's screen" not in listed and "Bob&#39;s screen" not in listed


async def test_forms_without_the_sessions_csrf_token_are_refused(
    app: FastAPI, services: Services
) -> None:
    ticket = await _resolved(services)
    page = f"/tickets/{ticket.reference}"
    async with _browser(app) as ann:
        await _sign_in(ann, ANN)
        await ann.get(page)
        for path, data in (
            (f"{page}/comments", {"text": "from another site"}),
            (f"{page}/close", {}),
            (f"{page}/reopen", {"csrf_token": "forged"}),
        ):
            refused = await ann.post(path, data=data)
            assert refused.status_code == 403, path
            assert "form may have expired" in refused.text
    assert (await services.tickets.store.get(ticket.reference)).status == "resolved"
    assert await services.tickets.store.comments(ticket.reference) == []


async def test_comment_and_confirm_through_the_ticket_service(
    app: FastAPI, services: Services
) -> None:
    ticket = await _ticket(services)
    page = f"/tickets/{ticket.reference}"
    store = services.tickets.store
    async with _browser(app) as ann:
        await _sign_in(ann, ANN)
        csrf = _hidden((await ann.get(page)).text, "csrf_token")
        queued = await store.outbox.pending_count("glpi")
        sent = await ann.post(
            f"{page}/comments", data={"text": "Still dropping at 14:00", "csrf_token": csrf}
        )
        assert sent.status_code == 303 and sent.headers["location"] == f"{page}?done=commented"
        [comment] = await store.comments(ticket.reference)
        assert (comment.author, comment.body, comment.public) == (
            ANN,
            "Still dropping at 14:00",
            True,
        )
        assert await store.outbox.pending_count("glpi") == queued + 1  # pushed through the outbox
        shown = await ann.get(sent.headers["location"])
        assert "Your comment is added." in shown.text and "Still dropping at 14:00" in shown.text

        empty = await ann.post(f"{page}/comments", data={"text": "  ", "csrf_token": csrf})
        assert empty.headers["location"] == f"{page}?error=empty"
        early = await ann.post(f"{page}/close", data={"csrf_token": csrf})
        assert early.headers["location"] == f"{page}?error=conflict"
        said = await ann.get(early.headers["location"])
        assert "not possible in the ticket's current status (new)" in said.text.replace(
            "&#39;", "'"
        )
        assert (await store.get(ticket.reference)).status == "new"

        await services.tickets.transition(ticket.reference, "assigned", actor=ZOE)
        await services.tickets.transition(ticket.reference, "resolved", actor=ZOE)
        asked = await ann.get(page)
        assert 'id="works"' in asked.text and 'id="still-broken"' in asked.text
        queued = await store.outbox.pending_count("glpi")
        closed = await ann.post(f"{page}/close", data={"csrf_token": csrf})
        assert closed.headers["location"] == f"{page}?done=closed"
        after = await store.get(ticket.reference)
        assert after.status == "closed" and after.closed_at is not None
        last = (await store.history(ticket.reference))[-1]
        assert (last.actor, last.kind, last.data["status"]["to"]) == (ANN, "status", "closed")
        assert await store.outbox.pending_count("glpi") == queued + 1
        final = await ann.get(closed.headers["location"])
        assert "the ticket is closed" in final.text and 'id="comment"' not in final.text

        other = await _resolved(services)
        reopened = await ann.post(f"/tickets/{other.reference}/reopen", data={"csrf_token": csrf})
        assert reopened.headers["location"] == f"/tickets/{other.reference}?done=reopened"
        again = await store.get(other.reference)
        assert again.status == "reopened" and again.resolved_at is None


async def test_an_employee_in_tokyo_opens_their_ticket_page_in_french(
    app: FastAPI, services: Services
) -> None:
    ticket = await _ticket(services)
    await services.tickets.update(ticket.reference, actor=ZOE, assignee=ZOE)
    async with _browser(app, **{"Accept-Language": "fr"}) as browser:
        await _sign_in(browser, ANN, f"/tickets/{ticket.reference}")
        browser.cookies.set("guichet_tz", "Asia/Tokyo")  # what zone.js keeps
        page = (await browser.get(f"/tickets/{ticket.reference}")).text
        assert 'data-zone="Asia/Tokyo"' in page and "/console/static/zone.js" in page
        assert when(ticket.created_at, "fr", "Asia/Tokyo") in page and " JST" in page
        assert 'id="ticket-group">Zoe' in page  # the agent who has it, by name
        browser.cookies.set("guichet_tz", "Mars/Olympus")
        page = (await browser.get(f"/tickets/{ticket.reference}")).text
        assert f'data-zone="{services.settings.default_timezone}"' in page


async def test_an_employee_opens_their_order_awaiting_approval_in_french_and_english(
    app: FastAPI, services: Services
) -> None:
    """The status says what the order waits for (its approver), not "waiting for information"."""
    order = await services.tickets.create(
        NewTicket(
            kind="request", requester=ANN, channel="web", conversation_id=None,
            title="Commande\u00a0: Écran 24 pouces", description="Écran 24 pouces",
            category="request", impact="person", urgency="low", priority="P5", language="fr",
            details={"catalog_item": "monitor-24", "fields": {"delivery_location": "lyon"},
                     "requires_approval": True, "approver": "manager", "approval": "waiting"},
        )
    )  # fmt: skip
    await services.tickets.transition(order.reference, "pending", actor="guichet:approval")
    async with _browser(app, **{"Accept-Language": "fr"}) as ann:
        await _sign_in(ann, ANN, f"/tickets/{order.reference}")
        french = (await ann.get(f"/tickets/{order.reference}")).text
        english = (await ann.get(f"/tickets/{order.reference}?lang=en")).text
    waiting = re.compile(r'id="waiting-for">(.*?)</dd>', re.S)
    assert waiting.findall(french) == ["en attente de l&#39;approbation de votre manager"]
    assert waiting.findall(english) == ["awaiting approval by your manager"]
    assert "information" not in french + english


async def test_an_employee_opens_their_incident_that_an_agent_has(
    app: FastAPI, services: Services
) -> None:
    """The agent is named, never by their address: in "Handled by" and in the history."""
    ticket = await _ticket(services)
    await services.tickets.update(ticket.reference, actor=ZOE, assignee=ZOE)
    await services.tickets.transition(ticket.reference, "assigned", actor=ZOE)
    await services.tickets.comment(ticket.reference, author=ZOE, body="On it.", by_agent=True)
    await services.tickets.transition(ticket.reference, "awaiting_information", actor=ZOE)
    async with _browser(app, **{"Accept-Language": "fr"}) as ann:
        await _sign_in(ann, ANN, f"/tickets/{ticket.reference}")
        french = (await ann.get(f"/tickets/{ticket.reference}")).text
        english = (await ann.get(f"/tickets/{ticket.reference}?lang=en")).text
    assert 'id="ticket-group">Zoe<' in french
    assert ZOE not in french and ZOE not in english
    assert 'id="waiting-for">en attente de votre réponse<' in french
    assert 'id="waiting-for">waiting for your reply<' in english
