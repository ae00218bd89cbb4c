"""KPIs, knowledge gaps, agents' articles, changes and notices over HTTP, with real tokens."""

from __future__ import annotations

import csv
import dataclasses
import io
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.ticket_models import NewTicket
from bot.services import Components, Services
from bot.settings import SAMPLE_KB_DIR, load_settings
from knowledge_index.service import open_knowledge_base
from tests.bot.api.conftest import ClientFor
from tests.bot.auth.helpers import bearer
from tests.bot.insights.history import seed
from tests.conftest import copy_cached_index

pytestmark = pytest.mark.slow

AGENT_ONLY = [
    ("GET", "/api/v1/kpis", None),
    ("GET", "/api/v1/kpis.csv", None),
    ("GET", "/api/v1/gaps", None),
    ("POST", "/api/v1/gaps/articles", {"title_en": "x", "body_en": "y"}),
    ("GET", "/api/v1/changes", None),
    (
        "POST",
        "/api/v1/changes",
        {"reference": "CHG-1", "title": "x", "deployed_at": "2026-11-05T08:00:00Z"},
    ),
    ("PUT", "/api/v1/tickets/INC-000001/change", {"change": None}),
    ("GET", "/api/v1/notices", None),
    ("POST", "/api/v1/notices", {"title_en": "x", "title_fr": "x"}),
    ("PUT", "/api/v1/notices/1", {"title_en": "x", "title_fr": "x"}),
    ("POST", "/api/v1/notices/1/close", None),
    ("GET", "/api/v1/notices/candidates", None),
    ("POST", "/api/v1/notices/candidates/INC-000001/publish", None),
    ("POST", "/api/v1/notices/candidates/INC-000001/dismiss", None),
]


async def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


@pytest.mark.parametrize(("method", "path", "body"), AGENT_ONLY)
async def test_employees_are_refused_and_anonymous_callers_asked_to_sign_in(
    anonymous: httpx.AsyncClient,
    client_for: ClientFor,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    assert (await anonymous.request(method, path, json=body)).status_code == 401
    employee = await client_for("employee", "ann@norvane.example")
    refused = await employee.request(method, path, json=body)
    assert refused.status_code == 403, refused.text
    assert "needs role agent" in refused.json()["detail"]


async def test_kpis_as_json_and_csv(client: httpx.AsyncClient, services: Services) -> None:
    await seed(services.database)
    period = {"from": "2026-11-02", "to": "2026-11-08"}
    kpis = await _ok(await client.get("/api/v1/kpis", params=period))
    # The hand-worked figures of tests/bot/insights/test_kpis.py, through HTTP.
    assert kpis["conversations"] == 4 and kpis["tickets"] == 5
    assert kpis["deflection_rate"] == {"value": 0.25, "numerator": 1, "denominator": 4}
    assert kpis["sla_resolution"]["numerator"] == 2 and kpis["mean_time_to_resolve"]["hours"] == 5
    assert kpis["changes"][0]["reference"] == "REL-42"
    exported = await client.get("/api/v1/kpis.csv", params=period)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert (
        'filename="guichet-kpis-20261102-20261109.csv"' in exported.headers["content-disposition"]
    )
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["section", "name", "value", "numerator", "denominator"]
    assert ["rate", "deflection_rate", "0.25", "1", "4"] in rows
    assert ["hours", "mean_time_to_assign", "1.1667", "", "3"] in rows
    assert ["tickets_by_category", "network", "2", "", ""] in rows
    assert ["change REL-42", "tickets_24h_after", "1", "", ""] in rows
    bad = await client.get("/api/v1/kpis", params={"from": "last week"})
    assert bad.status_code == 400 and bad.json()["fields"]["field"] == "from"


async def test_changes_and_tickets_tagged_with_them(
    client: httpx.AsyncClient, services: Services
) -> None:
    change = {"reference": "REL-43", "kind": "release", "title": "Portal 4.3",
              "deployed_at": "2026-11-12T07:30:00+01:00"}  # fmt: skip
    created = await _ok(await client.post("/api/v1/changes", json=change), 201)
    assert created["deployed_at"].startswith("2026-11-12T06:30:00")
    assert (await client.post("/api/v1/changes", json=change)).status_code == 409
    naive = {**change, "reference": "X", "deployed_at": "2026-11-12T07:30:00"}
    refused = await client.post("/api/v1/changes", json=naive)
    assert refused.status_code == 422 and "time zone" in refused.text
    ticket = await services.tickets.create(_ticket("Portal login page blank"))
    path = f"/api/v1/tickets/{ticket.reference}/change"
    tagged = await _ok(await client.put(path, json={"change": "REL-43"}))
    assert tagged == {"reference": ticket.reference, "change": "REL-43"}
    unknown = await client.put(path, json={"change": "REL-99"})
    assert unknown.status_code == 404 and "REL-99" in unknown.json()["detail"]
    detail = await _ok(await client.get(f"/api/v1/tickets/{ticket.reference}"))
    assert detail["change_ref"] == "REL-43"
    history = await services.tickets.store.history(ticket.reference)
    assert history[-1].data == {"change_ref": {"from": None, "to": "REL-43"}}
    assert [c["reference"] for c in await _ok(await client.get("/api/v1/changes"))] == ["REL-43"]
    entries = await services.auth.audit_entries(target_kind="ticket", target=ticket.reference)
    assert entries[0].action == "ticket.tag_change"


def _ticket(title: str, **details: Any) -> NewTicket:
    return NewTicket(
        kind="incident", requester="ann@norvane.example", channel="web", conversation_id=None,
        title=title, description=title, category="network", impact="organisation",
        urgency="critical", priority="P1", language="en", details=details,
    )  # fmt: skip


async def _chat(client: httpx.AsyncClient, text: str) -> list[str]:
    conversation = await _ok(
        await client.post("/api/v1/conversations", json={"user": "admin@norvane.example"}), 201
    )
    replies = await _ok(
        await client.post(
            f"/api/v1/conversations/{conversation['id']}/messages", json={"text": text}
        )
    )
    return [reply["text"] for reply in replies["replies"]]


async def _top_suggestion(client: httpx.AsyncClient, q: str, lang: str) -> dict[str, Any]:
    found = await _ok(await client.get("/api/v1/suggest", params={"q": q, "lang": lang}))
    first: dict[str, Any] = found["suggestions"][0]
    return first


async def test_a_published_notice_tops_suggestions_and_is_told_first_in_chat(
    client: httpx.AsyncClient,
) -> None:
    notice = await _ok(
        await client.post(
            "/api/v1/notices",
            json={
                "title_en": "VPN down in Lyon", "title_fr": "VPN indisponible à Lyon",
                "body_en": "Since 9:10; fix expected at 11:00. No need to open a ticket.",
                "body_fr": "Depuis 9 h 10 ; retour prévu à 11 h. Inutile d'ouvrir un ticket.",
                "severity": "outage", "tags": ["vpn", "lyon", "globalprotect"],
            },
        ),
        201,
    )  # fmt: skip
    top = await _top_suggestion(client, "vpn ne marche pas", "fr")
    assert (top["type"], top["title"]) == ("incident_notice", "VPN indisponible à Lyon")
    said = await _chat(client, "le VPN ne se connecte plus ce matin")
    assert said[0].startswith("Incident en cours connu\u00a0: VPN indisponible à Lyon.")
    assert "retour prévu à 11 h" in said[0] and len(said) > 1  # then the usual answer
    english = await _chat(client, "I cannot connect to the VPN")
    assert english[0].startswith("Known ongoing incident: VPN down in Lyon.")
    unrelated = await _chat(client, "my printer is jammed")
    assert not unrelated[0].startswith("Known ongoing incident")

    changed = {**notice, "body_en": "Fixed for most users.", "body_fr": "Réparé pour la plupart."}
    for name in ("id", "status", "created_at", "updated_at", "closed_at", "version"):
        changed.pop(name)
    await _ok(await client.put(f"/api/v1/notices/{notice['id']}", json=changed))
    assert "Fixed for most users." in (await _chat(client, "vpn not working"))[0]
    closed = await _ok(await client.post(f"/api/v1/notices/{notice['id']}/close"))
    assert closed["status"] == "closed"
    assert (await _top_suggestion(client, "vpn ne marche pas", "fr"))["type"] != "incident_notice"
    assert not (await _chat(client, "I cannot connect to the VPN"))[0].startswith("Known")
    listed = await _ok(await client.get("/api/v1/notices"))
    assert [(n["id"], n["status"]) for n in listed] == [(notice["id"], "closed")]
    assert await _ok(await client.get("/api/v1/notices", params={"active": "true"})) == []


async def test_outage_candidates_are_published_or_dismissed(
    client: httpx.AsyncClient, services: Services
) -> None:
    parent = await services.tickets.create(
        _ticket(
            "Major incident candidate: SAP unreachable",
            major_incident=True, candidate=True, reports=["INC-000001", "INC-000002"],
        )
    )  # fmt: skip
    await services.tickets.create(_ticket("not a grouped outage"))
    (candidate,) = await _ok(await client.get("/api/v1/notices/candidates"))
    assert (candidate["reference"], candidate["state"]) == (parent.reference, "waiting")
    assert candidate["title"] == "SAP unreachable" and candidate["reports"] == [
        "INC-000001", "INC-000002",
    ]  # fmt: skip
    assert candidate["proposed"]["title_fr"] == "Incident en cours\u00a0: SAP unreachable"

    base = f"/api/v1/notices/candidates/{parent.reference}"
    notice = await _ok(await client.post(f"{base}/publish"))
    assert notice["reference"] == parent.reference and notice["status"] == "active"
    top = await _top_suggestion(client, "SAP unreachable", "en")
    assert (top["type"], top["id"]) == ("incident_notice", f"notice-{notice['id']}")
    (published,) = await _ok(await client.get("/api/v1/notices/candidates"))
    assert (published["state"], published["notice_id"]) == ("published", notice["id"])

    dismissed = await _ok(await client.post(f"{base}/dismiss"))
    assert (dismissed["state"], dismissed["notice_id"]) == ("dismissed", None)
    assert (await services.notices.get(notice["id"])).status == "closed"
    other = await services.tickets.create(_ticket("plain"))
    refused = await client.post(f"/api/v1/notices/candidates/{other.reference}/publish")
    assert refused.status_code == 409 and "not a grouped outage" in refused.text
    again = await _ok(
        await client.post(
            f"{base}/publish",
            json={"notice": {"title_en": "SAP is back", "title_fr": "SAP est revenu"}},
        )
    )
    assert again["title_en"] == "SAP is back" and again["id"] != notice["id"]


@pytest.fixture
async def own_kb(
    components: Components, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """A service over its own copy of the sample knowledge base, which articles may change."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(SAMPLE_KB_DIR, kb_dir)
    settings = load_settings(
        data_dir=tmp_path, database_url=database_url, knowledge={"kb_dir": kb_dir}
    )
    copy_cached_index(settings.index_dir)  # that same content's: nothing to embed again
    knowledge = open_knowledge_base(kb_dir, settings.index_dir, components.embedder)
    services = await open_services(settings, dataclasses.replace(components, knowledge=knowledge))
    app = create_app(settings, services)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://t",
                headers=await bearer(services, role="agent", email="agent@norvane.example"),
            ) as client,
        ):
            yield client
    finally:
        await services.close()


async def test_a_gap_becomes_an_article_that_search_finds_without_restart(
    own_kb: httpx.AsyncClient,
) -> None:
    question = "comment réserver une place de parking visiteur"
    before = await _ok(
        await own_kb.post("/api/v1/search", json={"query": question, "language": "fr"})
    )
    assert not before["confident"]
    (gap,) = (await _ok(await own_kb.get("/api/v1/gaps")))["groups"]
    assert gap["label"] == question and gap["sources"] == {"search": 1}
    article = {
        "title_fr": "Réserver une place de parking pour un visiteur",
        "body_fr": "Les places de parking visiteur se réservent à l'accueil, la veille avant "
        "17 h, avec le nom et la plaque d'immatriculation du visiteur.",
        "title_en": "Book a visitor parking space",
        "body_en": "Visitor parking spaces are booked at reception, the day before by 5 pm, "
        "with the visitor's name and number plate.",
        "tags": ["parking", "visiteur", "visitor"], "category": "facilities", "gap": gap["id"],
    }  # fmt: skip
    published = await _ok(await own_kb.post("/api/v1/gaps/articles", json=article), 201)
    assert published["ids"] == [
        "en-book-a-visitor-parking-space", "fr-book-a-visitor-parking-space",
    ]  # fmt: skip
    after = await _ok(
        await own_kb.post("/api/v1/search", json={"query": question, "language": "fr"})
    )
    assert after["confident"] and after["results"][0]["id"] == "fr-book-a-visitor-parking-space"
    missing = await own_kb.post("/api/v1/gaps/articles", json={"title_fr": "Sans corps"})
    assert missing.status_code == 422 and "title_fr and body_fr go together" in missing.text
