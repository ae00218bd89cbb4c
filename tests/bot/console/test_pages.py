"""The console over HTTP: sign-in with CSRF, sessions that expire, roles on every page and API
route, forms refused without the session's CSRF token, the escalation API."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from bot.console.desk import EscalationDesk
from bot.kernel.domain import utcnow
from bot.services import Services
from bot.storage.tables import SessionRow
from tests.bot.auth.helpers import bearer
from tests.bot.console.helpers import hidden, open_browser
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
PASSWORD = "correct horse 42"


async def _sign_in(browser: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    form = await browser.get("/console/login")
    answer = await browser.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": hidden(form.text, "csrf_token")},
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def _escalation(services: Services) -> int:
    chat = await Chat.start(services, user="ann@norvane.example", channel="web")
    await chat.say("my vpn keeps dropping")
    await chat.say("/human_handoff")
    return (await EscalationDesk(services).queue())[0].id


async def test_sign_in_needs_the_forms_csrf_token_and_the_right_password(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    async with open_browser(app) as browser:
        anonymous = await browser.get("/console")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/console/login?next=/console"
        form = await browser.get("/console/login")
        token = hidden(form.text, "csrf_token")
        forged = await browser.post(
            "/console/login",
            data={"email": "zoe@norvane.example", "password": PASSWORD, "csrf_token": "forged"},
        )
        assert forged.status_code == 403 and "expired" in forged.text
        token = hidden(forged.text, "csrf_token")  # each form comes with a new token
        wrong = await browser.post(
            "/console/login",
            data={"email": "zoe@norvane.example", "password": "nope", "csrf_token": token},
        )
        assert wrong.status_code == 401 and "wrong e-mail or password" in wrong.text
        assert "guichet_session" not in browser.cookies
        assert await _sign_in(browser, "zoe@norvane.example") == "/console"
        queue = await browser.get("/console")
        assert queue.status_code == 200 and "Escalations" in queue.text
        assert "Zoe" in queue.text or "zoe" in queue.text
    offsite = await open_browser(app).__aenter__()
    form = await offsite.get("/console/login?next=//evil.example/")
    assert 'name="next" value="/console"' in form.text
    await offsite.aclose()


async def test_employees_are_refused_every_console_page_and_api(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user("ann@norvane.example", role="employee", password=PASSWORD)
    escalation_id = await _escalation(services)
    async with open_browser(app) as browser:
        await _sign_in(browser, "ann@norvane.example")
        for path in ["/console", f"/console/escalations/{escalation_id}"]:
            page = await browser.get(path)
            assert page.status_code == 403 and "needs an agent account" in page.text
            assert "needs role" not in page.text and 'href="/tickets"' in page.text
        french = unescape((await browser.get("/console", headers={"Accept-Language": "fr"})).text)
        assert '<html lang="fr">' in french and "compte de technicien" in french
        csrf = hidden((await browser.get("/console/logout")).text, "csrf_token")
        for path in ["/api/v1/escalations", f"/api/v1/escalations/{escalation_id}"]:
            assert (await browser.get(path)).status_code == 403
        taken = await browser.post(
            f"/console/escalations/{escalation_id}/take", data={"csrf_token": csrf}
        )
        assert taken.status_code == 403
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers=await bearer(services, role="employee", email="ann@norvane.example"),
    ) as api:
        for method, path in [
            ("GET", "/api/v1/escalations"),
            ("GET", "/api/v1/escalations/events"),
            ("POST", f"/api/v1/escalations/{escalation_id}/take"),
            ("POST", f"/api/v1/escalations/{escalation_id}/messages"),
            ("POST", f"/api/v1/escalations/{escalation_id}/changes"),
            ("POST", f"/api/v1/escalations/{escalation_id}/resolve"),
            ("POST", f"/api/v1/escalations/{escalation_id}/hand-back"),
        ]:
            response = await api.request(method, path, json={"text": "hi"})
            assert response.status_code == 403, (path, response.text)


async def test_forms_need_the_sessions_csrf_token_and_sessions_expire(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    escalation_id = await _escalation(services)
    async with open_browser(app) as browser:
        await _sign_in(browser, "zoe@norvane.example")
        page = await browser.get(f"/console/escalations/{escalation_id}")
        csrf = hidden(page.text, "csrf_token")
        url = f"/console/escalations/{escalation_id}/take"
        refused = await browser.post(url)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
        assert (await browser.post(url, data={"csrf_token": "wrong"})).status_code == 403
        api_without = await browser.post(f"/api/v1/escalations/{escalation_id}/take")
        assert api_without.status_code == 403
        taken = await browser.post(url, data={"csrf_token": csrf})
        assert taken.status_code == 303
        page = await browser.get(f"/console/escalations/{escalation_id}")
        assert "Write to ann@norvane.example" in page.text
        sent = await browser.post(
            f"/api/v1/escalations/{escalation_id}/messages",
            json={"text": "Hello from the API"},
            headers={"X-CSRF-Token": csrf},
        )
        assert sent.status_code == 201, sent.text

        async with services.database.sessions.begin() as session:  # the session's time is up
            await session.execute(update(SessionRow).values(expires_at=utcnow()))
        expired = await browser.get("/console")
        assert expired.status_code == 303 and expired.headers["location"].startswith(
            "/console/login"
        )
        assert (await browser.get("/api/v1/escalations")).status_code == 401


async def test_sign_out_ends_the_session(app: FastAPI, services: Services) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    async with open_browser(app) as browser:
        await _sign_in(browser, "zoe@norvane.example")
        csrf = hidden((await browser.get("/console")).text, "csrf_token")
        cookie = browser.cookies["guichet_session"]
        assert (await browser.post("/console/logout")).status_code == 403  # no CSRF token
        out = await browser.post("/console/logout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
        browser.cookies.set("guichet_session", cookie)  # replaying the old cookie
        assert (await browser.get("/api/v1/escalations")).status_code == 401
    actions = [e.action for e in await services.auth.audit_entries(actor="zoe@norvane.example")]
    assert actions == ["logout", "login"]


async def test_escalation_api_for_agents(app: FastAPI, services: Services) -> None:
    escalation_id = await _escalation(services)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://guichet.test",
        headers=await bearer(services, role="agent", email="zoe@norvane.example"),
    ) as api:
        (item,) = (await api.get("/api/v1/escalations", params={"language": "en"})).json()
        assert item["id"] == escalation_id and item["category"] == "network"
        assert (await api.get("/api/v1/escalations", params={"status": "nope"})).status_code == 422
        assert (await api.get("/api/v1/escalations/999")).status_code == 404
        early = await api.post(f"/api/v1/escalations/{escalation_id}/messages", json={"text": "x"})
        assert early.status_code == 409
        taken = (await api.post(f"/api/v1/escalations/{escalation_id}/take")).json()
        assert taken["ticket"]["ticket"]["status"] == "assigned"
        bad = await api.post(
            f"/api/v1/escalations/{escalation_id}/changes", json={"impact": "huge"}
        )
        assert bad.status_code == 422
        changed = await api.post(
            f"/api/v1/escalations/{escalation_id}/changes",
            json={"category": "security", "urgency": "critical"},
        )
        assert changed.json()["ticket"]["ticket"]["category"] == "security"
        back = await api.post(f"/api/v1/escalations/{escalation_id}/hand-back")
        assert back.json()["status"] == "returned"
        assert (await api.get("/api/v1/escalations")).json() == []


def _headings(page: str) -> list[str]:
    return re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page)


async def test_the_console_speaks_french_to_a_french_browser_and_english_otherwise(
    app: FastAPI, services: Services
) -> None:
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    escalation = await _escalation(services)
    async with open_browser(app) as browser:
        await _sign_in(browser, "zoe@norvane.example")
        french = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
        queue = unescape((await browser.get("/console", headers=french)).text)
        assert '<html lang="fr">' in queue
        assert "<h1>File d'attente</h1>" in queue and "Se déconnecter" in queue
        assert "Première réponse attendue" in queue and ">English</a>" in queue
        page = unescape(
            (await browser.get(f"/console/escalations/{escalation}", headers=french)).text
        )
        assert "Prendre en charge" in page and "Statut\u00a0:" in page
        assert not any(
            word in heading
            for heading in _headings(queue) + _headings(page)
            for word in ("Escalation", "Status")
        )
        notices = unescape((await browser.get("/console/notices", headers=french)).text)
        assert "<h1>Avis d'incident</h1>" in notices and "Publier un avis" in notices

        english = (await browser.get("/console", headers={"Accept-Language": "en"})).text
        assert '<html lang="en">' in english and "<h1>Escalations</h1>" in english
        assert "Sign out" in english and ">Français</a>" in english

        # the switch: ?lang= wins over the browser's language and is remembered by a cookie
        switched = await browser.get("/console?lang=en", headers=french)
        assert "<h1>Escalations</h1>" in switched.text
        assert switched.cookies.get("guichet_lang") == "en"
        assert "<h1>Escalations</h1>" in (await browser.get("/console", headers=french)).text
