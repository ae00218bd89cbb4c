"""The console's gaps, notices and KPI pages over HTTP: roles, CSRF, forms, charts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI

from bot.services import Services
from tests.bot.insights.history import seed

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}
PASSWORD = "correct horse 42"
PAGES = ["/console/kpis", "/console/gaps", "/console/notices"]
FORMS = [
    "/console/notices",
    "/console/notices/1",
    "/console/notices/1/close",
    "/console/notices/candidates/INC-000001/publish",
    "/console/notices/candidates/INC-000001/dismiss",
    "/console/gaps/articles",
]


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


@asynccontextmanager
async def _signed_in(
    app: FastAPI, services: Services, email: str, role: str
) -> AsyncIterator[httpx.AsyncClient]:
    await services.auth.create_user(email, role=role, password=PASSWORD)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", headers=HTML
    ) as browser:
        form = await browser.get("/console/login")
        answer = await browser.post(
            "/console/login",
            data={"email": email, "password": PASSWORD, "csrf_token": _csrf(form.text)},
        )
        assert answer.status_code == 303, answer.text
        yield browser


async def test_employees_are_refused_and_anonymous_callers_sent_to_sign_in(
    app: FastAPI, services: Services
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
    ) as anonymous:
        for path in PAGES:
            assert (await anonymous.get(path)).status_code == 401
        for path in FORMS:
            assert (await anonymous.post(path)).status_code == 401
        page = await anonymous.get("/console/kpis", headers=HTML)
        assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    async with _signed_in(app, services, "ann@norvane.example", "employee") as employee:
        for path in PAGES:
            assert (await employee.get(path)).status_code == 403, path
        token = (await employee.get("/console/logout")).text
        for path in FORMS:
            refused = await employee.post(path, data={"csrf_token": _csrf(token)})
            assert refused.status_code == 403, path


async def test_the_kpi_dashboard_shows_figures_charts_and_the_csv_link(
    app: FastAPI, services: Services
) -> None:
    await seed(services.database)
    async with _signed_in(app, services, "zoe@norvane.example", "agent") as agent:
        page = await agent.get("/console/kpis", params={"from": "2026-11-02", "to": "2026-11-08"})
        assert page.status_code == 200, page.text
        html = page.text
        # The seeded week's hand-worked figures (tests/bot/insights/test_kpis.py).
        assert re.search(r'id="kpi-deflection"><span class="figure">25\.0%<small> \(1/4\)', html)
        assert re.search(r'id="kpi-mttr"><span class="figure">5 hr<small> \(2 tickets\)', html)
        assert html.count("<svg") >= 7 and "<polyline" in html  # the daily chart and 6 bars
        assert "REL-42" in html and "Portal 4.2" in html and "menu cantine" in html
        csv_link = re.search(r'href="([^"]+)" id="csv"', html)
        assert (
            csv_link and csv_link.group(1) == "/api/v1/kpis.csv?from=2026-11-02&amp;to=2026-11-08"
        )
        exported = await agent.get("/api/v1/kpis.csv?from=2026-11-02&to=2026-11-08")
        assert exported.status_code == 200 and "deflection_rate,0.25,1,4" in exported.text
        wrong = await agent.get("/console/kpis", params={"from": "2026-11-08", "to": "2026-11-01"})
        assert wrong.status_code == 400 and "must be before" in wrong.text


async def test_an_agent_reads_the_kpis_in_french_numbers_units_and_names(
    app: FastAPI, services: Services
) -> None:
    """Durations, counts and the charts' names in French, not "5.0 h" nor "software"."""
    await seed(services.database)
    async with _signed_in(app, services, "zoe@norvane.example", "agent") as agent:
        page = await agent.get(
            "/console/kpis", params={"from": "2026-11-02", "to": "2026-11-08", "lang": "fr"}
        )
    html = page.text
    mttr = re.search(r'id="kpi-mttr"><span class="figure">(.*?)<small>', html)
    assert mttr and mttr.group(1) == "5\u202fh"
    mtta = re.search(r'id="kpi-mtta"><span class="figure">(.*?)<small>', html)
    assert mtta and re.fullmatch(r"\d+(,\d)?(\u202fh|\u00a0min|\u202fj)", mtta.group(1)), mtta
    assert "Tickets 24\u202fh avant" in html
    bars = html.split('<div class="charts">')[1].split("</div>")[0]
    for name in ("Logiciel", "Matériel", "français", "anglais"):
        assert f">{name}</text>" in bars, name
    for code in (">software<", ">hardware<", ">fr<", ">en<"):
        assert code not in bars, code
    assert ">Problème de VPN</text>" in bars  # the top intents named, not vpn_problem
    assert not re.search(r">[a-z]+_[a-z_]+</text>", bars)


async def test_notices_are_published_updated_and_closed_from_the_console(
    app: FastAPI, services: Services
) -> None:
    async with _signed_in(app, services, "zoe@norvane.example", "agent") as agent:
        page = await agent.get("/console/notices")
        assert page.status_code == 200 and "No grouped outage reports." in page.text
        form = {
            "title_en": "VPN down in Lyon", "title_fr": "VPN indisponible à Lyon",
            "body_en": "Since 9:10, fix expected at 11:00.",
            "body_fr": "Depuis 9 h 10, retour prévu à 11 h.",
            "severity": "outage", "tags": "vpn, lyon", "url": "",
        }  # fmt: skip
        forged = await agent.post("/console/notices", data=form)
        assert forged.status_code == 403 and "CSRF" in forged.text
        published = await agent.post(
            "/console/notices", data={**form, "csrf_token": _csrf(page.text)}
        )
        assert published.status_code == 303
        (notice,) = await services.notices.list_active()
        assert notice.tags == ["vpn", "lyon"] and notice.title_fr == "VPN indisponible à Lyon"
        suggestions = await agent.get("/api/v1/suggest", params={"q": "vpn lyon", "lang": "en"})
        assert suggestions.json()["suggestions"][0]["title"] == "VPN down in Lyon"
        page = await agent.get("/console/notices")
        assert "VPN down in Lyon" in page.text and 'class="status-active"' in page.text
        changed = await agent.post(
            f"/console/notices/{notice.id}",
            data={**form, "body_en": "Fixed at 10:40.", "csrf_token": _csrf(page.text)},
        )
        assert changed.status_code == 303
        assert (await services.notices.get(notice.id)).body_en == "Fixed at 10:40."
        empty = await agent.post(
            "/console/notices",
            data={**form, "title_fr": "", "csrf_token": _csrf(page.text)},
        )
        assert empty.status_code == 303 and "title_fr" in empty.headers["location"]
        closed = await agent.post(
            f"/console/notices/{notice.id}/close", data={"csrf_token": _csrf(page.text)}
        )
        assert closed.status_code == 303
        assert await services.notices.list_active() == []
        entries = await services.auth.audit_entries(target_kind="notice", target=str(notice.id))
        assert [e.action for e in entries] == ["notice.close", "notice.update", "notice.publish"]


async def test_the_gaps_page_groups_questions_and_refuses_an_article_without_body(
    app: FastAPI, services: Services
) -> None:
    for text in ("menu de la cantine", "canteen menu today", "menu de la cantine"):
        await services.feedback.record_gap(
            query_key=text, query=text, language="fr", best_score=0.1
        )
    async with _signed_in(app, services, "zoe@norvane.example", "agent") as agent:
        page = await agent.get("/console/gaps")
        assert page.status_code == 200
        rows = re.findall(r'<tr data-id="([0-9a-f]+)">', page.text)
        assert (
            len(rows) == 1
            and "menu de la cantine" in page.text
            and "canteen menu today" in page.text
        )
        chosen = await agent.get("/console/gaps", params={"group": rows[0]})
        assert 'New article for "menu de la cantine"' in chosen.text
        refused = await agent.post(
            "/console/gaps/articles",
            data={"title_en": "Canteen menu", "gap": rows[0], "csrf_token": _csrf(chosen.text)},
        )
        assert refused.status_code == 303
        shown = await agent.get(refused.headers["location"])
        assert "title_en and body_en go together" in shown.text
