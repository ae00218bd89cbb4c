"""Suggestions, search and feedback over HTTP (httpx against the ASGI app, lifespan included)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app.services import open_services
from bot.app.web import create_app
from bot.kernel.notices import NewNotice
from bot.services import Components, Services
from bot.settings import SAMPLE_KB_DIR, load_settings
from knowledge_index.rerank import DEPTH
from knowledge_index.service import open_knowledge_base
from tests.bot.auth.helpers import bearer

pytestmark = pytest.mark.slow

FALLBACKS = ["create_ticket", "chat_agent"]


async def _suggest(client: httpx.AsyncClient, q: str, lang: str = "fr") -> list[dict[str, Any]]:
    response = await client.get("/api/v1/suggest", params={"q": q, "lang": lang})
    assert response.status_code == 200, response.text
    suggestions: list[dict[str, Any]] = response.json()["suggestions"]
    return suggestions


@pytest.mark.parametrize(
    ("q", "lang", "group"),
    [
        ("mot de pas", "fr", "action-reset-password"),  # half-typed
        ("imprimante bloquee", "fr", "printer-jobs-stuck"),  # no accents
        ("outlok plante", "fr", "outlook-crash-startup"),  # typo
        ("écran noir dock", "fr", "laptop-dock-screens"),
        ("my tick", "en", "action-my-tickets"),
        ("casque sans fil", "fr", "catalog-headset-wireless"),
        ("le vpn drops at the hotel", "en", "vpn-hotel-wifi-drops"),  # mixed languages
    ],
)
async def test_suggestions_as_employees_type(
    client: httpx.AsyncClient, q: str, lang: str, group: str
) -> None:
    suggestions = await _suggest(client, q, lang)
    assert group in [s["group"] for s in suggestions[:5]], [s["group"] for s in suggestions]
    assert [s["type"] for s in suggestions[-2:]] == FALLBACKS
    found = next(s for s in suggestions if s["group"] == group)
    assert found["score"] > 0 and (found["url"] or found["action"])
    assert "<mark>" in found["title_html"] + found["snippet"]


async def test_suggestions_come_best_first_and_the_fallbacks_carry_the_text(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/suggest", params={"q": "reset password", "lang": "en"})
    body = response.json()
    suggestions = body["suggestions"]
    # The re-ranker orders the first five (`score` is the fused score); the rest by score.
    scores = [s["score"] for s in suggestions[DEPTH:-2]]
    assert scores == sorted(scores, reverse=True) and body["confident"] is True
    assert min(s["score"] for s in suggestions[:DEPTH]) >= max(scores, default=0.0)
    assert suggestions[0]["action"] and suggestions[0]["url"] == "/kb/en/reset-password"
    ticket = suggestions[-2]
    assert ticket["action"] == '/open_incident{"description": "reset password"}'
    assert suggestions[-1]["action"] == "/human_handoff"


async def test_a_broken_vpn_shows_the_known_error_before_the_contractor_access(
    client: httpx.AsyncClient,
) -> None:
    groups = [s["group"] for s in await _suggest(client, "vpn ne marche")]
    assert "catalog-vpn-access-contractor" not in groups[:2], groups
    assert groups[0].startswith("vpn"), groups


async def test_a_vague_ticket_shows_results_but_says_not_sure(client: httpx.AsyncClient) -> None:
    """Shown and sure are separate: a weak match is still listed, flagged as not sure."""
    found = await client.post(
        "/api/v1/search", json={"query": "mailbox increase", "language": "en"}
    )
    body = found.json()
    assert body["results"], body
    assert "outlook-mailbox-full" in [r["group"] for r in body["results"][:5]]
    suggested = await client.get(
        "/api/v1/suggest", params={"q": "menu de la cantine", "lang": "fr"}
    )
    assert suggested.json()["confident"] is False


async def test_results_stay_stable_as_the_prefix_grows(client: httpx.AsyncClient) -> None:
    query = "coupures vpn hotel"
    present = []
    for n in range(len("coupures v"), len(query) + 1):
        groups = [s["group"] for s in await _suggest(client, query[:n])]
        present.append("vpn-hotel-wifi-drops" in groups[:5])
    assert present[-1] and present == sorted(present), present  # once in, it stays


async def test_active_notices_come_first_until_closed(
    client: httpx.AsyncClient, services: Services
) -> None:
    notice = await services.notices.publish(
        NewNotice(
            title_en="Outlook unavailable in Lyon",
            title_fr="Outlook indisponible à Lyon",
            body_en="Mail does not load since 9:00; no need to open a ticket.",
            body_fr="La messagerie ne se charge plus depuis 9 h ; inutile d'ouvrir un ticket.",
            tags=["outlook", "messagerie", "mail"],
        )
    )
    first = (await _suggest(client, "outlook ne s'ouvre"))[0]
    assert first["type"] == "incident_notice" and first["title"] == "Outlook indisponible à Lyon"
    assert "<mark>Outlook</mark>" in first["title_html"]
    unrelated = await _suggest(client, "casque sans fil")
    assert "incident_notice" not in [s["type"] for s in unrelated]
    await services.notices.close(notice.id)
    assert (await _suggest(client, "outlook ne s'ouvre"))[0]["type"] != "incident_notice"


@pytest.mark.parametrize(
    "params",
    [
        {"q": "", "lang": "fr"},
        {"q": "v", "lang": "en"},
        {"q": "  ", "lang": "en"},
        {"q": "\x00\x01\x02", "lang": "en"},
        {"q": "?!", "lang": "en"},
    ],
)
async def test_too_little_to_suggest_is_an_empty_list(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/api/v1/suggest", params=params)
    assert response.status_code == 200 and response.json()["suggestions"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "vpn " * 2500, "lang": "en"}, "q"),
        ({"q": "vpn", "lang": "de"}, "lang"),
        ({"q": "vpn", "limit": "0"}, "limit"),
        ({"q": "vpn", "limit": "lots"}, "limit"),
    ],
)
async def test_bad_suggest_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get("/api/v1/suggest", params=params)
    assert response.status_code == 422
    assert f"query.{field}" in response.json()["fields"]


async def test_control_characters_are_ignored(client: httpx.AsyncClient) -> None:
    suggestions = await _suggest(client, "vpn\x00\x07 hotel\x1b", "en")
    assert "vpn-hotel-wifi-drops" in [s["group"] for s in suggestions[:3]]
    assert "\x00" not in suggestions[-2]["action"]


async def test_search_full_results_and_knowledge_gaps(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/search", json={"query": "BitLocker asks for a recovery key", "language": "fr"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["confident"] is True
    best = body["results"][0]
    assert best["id"] == "fr-bitlocker-recovery" and best["language"] == "fr"
    assert {"passage", "snippet", "category", "tags", "updated"} <= set(best)
    errors = await client.post(
        "/api/v1/search",
        json={"query": "Outlook crashes at startup", "types": ["known_error"], "limit": 3},
    )
    known = errors.json()["results"][0]
    assert known["type"] == "known_error" and known["workaround"] and known["symptom"]

    for _ in range(2):
        lunch = await client.post("/api/v1/search", json={"query": "menu de la cantine mardi"})
        assert lunch.json()["confident"] is False
    gaps = (await client.get("/api/v1/search/gaps")).json()
    assert gaps[0]["query"] == "menu de la cantine mardi" and gaps[0]["count"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"query": ""},
        {"query": "x" * 10_001},
        {"query": "vpn", "language": "de"},
        {"query": "vpn", "types": ["weather"]},
        {"query": "vpn", "limit": 500},
        {"query": "vpn", "colour": "blue"},
    ],
)
async def test_bad_search_bodies_are_422(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    assert (await client.post("/api/v1/search", json=body)).status_code == 422


async def test_clicks_and_votes_move_results_up(client: httpx.AsyncClient) -> None:
    async def score_of(group: str) -> float:
        suggestions = await _suggest(client, "wifi", "en")
        return next(s["score"] for s in suggestions if s["group"] == group)

    before = await score_of("wifi-guest-access")
    click = {
        "query": "wifi",
        "language": "en",
        "group": "wifi-guest-access",
        "type": "procedure",
        "position": 2,
    }
    for _ in range(3):
        assert (await client.post("/api/v1/suggest/clicks", json=click)).status_code == 204
    clicked = await score_of("wifi-guest-access")
    assert clicked > before
    vote = {"query": "wifi", "entry_id": "en-wifi-guest-access", "helpful": False}
    assert (await client.post("/api/v1/search/feedback", json=vote)).status_code == 204
    assert await score_of("wifi-guest-access") < clicked
    unknown = await client.post("/api/v1/search/feedback", json={**vote, "entry_id": "nope"})
    assert unknown.status_code == 404


async def test_a_damaged_index_fails_readiness_but_the_rest_answers(
    components: Components, database_url: str, tmp_path: Path
) -> None:
    index_dir = tmp_path / "index"
    healthy = components.knowledge.index
    assert healthy is not None
    healthy.save(index_dir)
    (index_dir / "vectors.faiss").write_bytes(b"not an index")
    knowledge = open_knowledge_base(SAMPLE_KB_DIR, index_dir, components.embedder)
    assert knowledge.index is None
    services = await open_services(
        load_settings(data_dir=tmp_path, database_url=database_url),
        dataclasses.replace(components, knowledge=knowledge),
    )
    app = create_app(services.settings, services)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://t",
                headers=await bearer(services),
            ) as c,
        ):
            ready = await c.get("/readyz")
            assert ready.status_code == 503
            assert "guichet index build --force" in ready.json()["checks"]["index"]
            assert (await c.get("/healthz")).status_code == 200
            suggestions = (await c.get("/api/v1/suggest", params={"q": "vpn"})).json()
            assert suggestions["index_ready"] is False
            assert [s["type"] for s in suggestions["suggestions"]] == FALLBACKS
            search = await c.post("/api/v1/search", json={"query": "vpn"})
            assert search.status_code == 503 and "index" in search.json()["detail"]
            conversation = await c.post("/api/v1/conversations", json={"user": "ann"})
            assert conversation.status_code == 201
            reply = await c.post(
                f"/api/v1/conversations/{conversation.json()['id']}/messages",
                json={"text": "my vpn keeps dropping"},
            )
            assert reply.status_code == 200
    finally:
        await services.close()


async def test_the_answer_to_did_that_solve_it_is_stored(
    client: httpx.AsyncClient, services: Services
) -> None:
    conversation = (await client.post("/api/v1/conversations", json={"user": "zoe"})).json()
    url = f"/api/v1/conversations/{conversation['id']}/messages"
    answer = (await client.post(url, json={"text": "my outlook crashes at startup"})).json()
    assert answer["replies"][1]["buttons"][0]["payload"] == "/affirm"
    assert (await client.post(url, json={"text": "/affirm"})).status_code == 200
    signals = await services.feedback.signals()
    assert signals.helpful == {"outlook-crash-startup": 1}
    assert signals.query_votes == {("my outlook crashes at startup", "outlook-crash-startup"): 1}


async def test_a_lone_surrogate_is_a_422_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/search",
        content=b'{"query": "\\ud800 vpn"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "body.query" in response.json()["fields"]
