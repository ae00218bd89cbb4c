"""The widget's HTTP routes: tokens, ownership, CORS, bad input, pushes, pages."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.app.web import create_app
from bot.channels.addresses import ChannelAddressStore
from bot.kernel.domain import Reply
from bot.services import Services
from bot.settings import load_settings
from connectors.web.push import WebChannel
from tests.connectors.web.conftest import ALLOWED_ORIGIN, MARIE, PAUL, Mint

pytestmark = pytest.mark.slow


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def start(client: httpx.AsyncClient, token: str, language: str = "en") -> dict[str, Any]:
    response = await client.post(
        "/widget/api/conversations", json={"language": language}, headers=auth(token)
    )
    assert response.status_code == 201, response.text
    conversation: dict[str, Any] = response.json()
    return conversation


async def test_a_signed_in_user_chats_and_finds_the_conversation_again(
    web_client: httpx.AsyncClient, web_services: Services, mint: Mint
) -> None:
    token = mint()
    session = (await web_client.get("/widget/api/session", headers=auth(token))).json()
    assert session["user"] == MARIE and session["texts"]["fr"]["send"] == "Envoyer"
    conversation = await start(web_client, token, "fr")
    assert conversation["transcript"] == [] and conversation["language"] == "fr"
    sent = await web_client.post(
        f"/widget/api/conversations/{conversation['id']}/messages",
        json={"text": "je veux ouvrir un ticket"},
        headers=auth(token),
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["replies"][0]["text"]
    again = await web_client.get(
        f"/widget/api/conversations/{conversation['id']}", headers=auth(token)
    )
    transcript = again.json()["transcript"]
    assert [turn["role"] for turn in transcript[:2]] == ["user", "bot"]
    assert "intent" not in transcript[0]  # the widget sees what was said, not the NLU's guess
    # Ticket updates now go to the web, into this conversation.
    address = await ChannelAddressStore(web_services.database).last_used(MARIE)
    assert address is not None and address.channel == "web"
    assert address.address == {"conversation_id": conversation["id"]}


async def test_chat_without_a_valid_token_is_refused_with_the_reason(
    web_client: httpx.AsyncClient, mint: Mint
) -> None:
    conversation = await start(web_client, mint())
    path = f"/widget/api/conversations/{conversation['id']}"
    cases = [
        ({}, "no token"),
        (auth(mint(lifetime=timedelta(minutes=-5))), "expired"),
        (auth(mint(key="wrong-key-" + "y" * 40)), "signature does not match"),
        (auth(mint(audience="other-app")), "audience is not 'guichet'"),
        ({"Authorization": "Basic bWFyaWU6c2VjcmV0"}, "must be 'Bearer <token>'"),
    ]
    for headers, reason in cases:
        for response in [
            await web_client.get(path, headers=headers),
            await web_client.post(path + "/messages", json={"text": "hi"}, headers=headers),
            await web_client.post("/widget/api/conversations", json={}, headers=headers),
            await web_client.get("/widget/api/events", headers=headers),
        ]:
            assert response.status_code == 401, (reason, response.text)
            assert reason in response.json()["detail"]
            assert response.headers["www-authenticate"].startswith("Bearer")
    # A bad token is no reason to hide the knowledge base: the session says why.
    session = await web_client.get("/widget/api/session", headers=auth(mint(audience="x")))
    assert session.json()["user"] is None and "audience" in session.json()["reason"]


async def test_a_conversation_belongs_to_its_owner(
    web_client: httpx.AsyncClient, mint: Mint
) -> None:
    conversation = await start(web_client, mint(MARIE))
    path = f"/widget/api/conversations/{conversation['id']}"
    paul = auth(mint(PAUL))
    read = await web_client.get(path, headers=paul)
    assert read.status_code == 403 and "belongs to another user" in read.json()["detail"]
    write = await web_client.post(path + "/messages", json={"text": "hello"}, headers=paul)
    assert write.status_code == 403
    unknown = await web_client.get("/widget/api/conversations/0000-missing", headers=paul)
    assert unknown.status_code == 404 and "conversation" in unknown.json()["detail"]
    rs256 = auth(mint(MARIE, algorithm="RS256"))  # the same person, whatever the portal's key
    assert (await web_client.get(path, headers=rs256)).status_code == 200


async def test_bad_input_is_a_4xx_naming_the_problem(
    web_client: httpx.AsyncClient, mint: Mint
) -> None:
    token = auth(mint())
    conversation = await start(web_client, mint())
    path = f"/widget/api/conversations/{conversation['id']}/messages"
    cases: list[tuple[str, str, dict[str, Any] | None, dict[str, Any] | None, str]] = [
        ("POST", path, {"text": ""}, None, "text"),
        ("POST", path, {"text": "x" * 4001}, None, "text"),
        ("POST", path, {"text": "hi", "language": "de"}, None, "language"),
        ("POST", path, {"text": "hi", "colour": "red"}, None, "colour"),
        ("POST", "/widget/api/conversations", {"language": "es"}, None, "language"),
        ("GET", "/widget/api/conversations/bad%20id!", None, None, "conversation_id"),
        ("GET", "/widget/api/suggest", None, {"q": "vpn", "lang": "de"}, "lang"),
        ("GET", "/widget/api/suggest", None, {"q": "v" * 201}, "q"),
        ("POST", "/widget/api/suggest/clicks", {"query": "vpn"}, None, "group"),
    ]
    for method, url, body, params, field in cases:
        response = await web_client.request(method, url, json=body, params=params, headers=token)
        assert response.status_code == 422, (url, body, response.text)
        assert field in json.dumps(response.json()["detail"]), (field, response.text)
    not_json = await web_client.post(
        path, content=b"text=hi", headers={**token, "content-type": "application/json"}
    )
    assert not_json.status_code == 422


async def test_visitors_get_the_knowledge_base_only(
    web_client: httpx.AsyncClient, mint: Mint
) -> None:
    params = {"q": "reset password", "lang": "en"}
    visitor = (await web_client.get("/widget/api/suggest", params=params)).json()["suggestions"]
    signed_in = (
        await web_client.get("/widget/api/suggest", params=params, headers=auth(mint()))
    ).json()["suggestions"]
    assert {"create_ticket", "chat_agent"} <= {s["type"] for s in signed_in}
    assert {s["type"] for s in visitor} <= {
        "incident_notice",
        "action",
        "catalog_item",
        "procedure",
        "faq",
        "known_error",
    }
    assert visitor and all(s["url"] and not s["action"] for s in visitor)
    reset = next(s for s in visitor if s["type"] == "action")
    assert reset["url"] == "/kb/en/reset-password"  # a Guichet page that says how
    click = await web_client.post(
        "/widget/api/suggest/clicks",
        json={
            "query": "reset password",
            "language": "en",
            "group": reset["group"],
            "type": "action",
            "position": 0,
        },
    )
    assert click.status_code == 204


async def test_cors_for_the_configured_origins_only(web_client: httpx.AsyncClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    allowed = await web_client.options(
        "/widget/api/conversations", headers={"Origin": ALLOWED_ORIGIN, **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = await web_client.options(
        "/widget/api/conversations", headers={"Origin": "https://evil.example", **preflight}
    )
    assert refused.status_code == 403 and "evil.example" in refused.text
    assert not [h for h in refused.headers if h.startswith("access-control-")]
    simple = await web_client.get("/widget/api/session", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200
    assert not [h for h in simple.headers if h.startswith("access-control-")]
    ok = await web_client.get("/widget/api/session", headers={"Origin": ALLOWED_ORIGIN})
    assert ok.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    # Other routes are not the widget's: no CORS there at all.
    api = await web_client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in api.headers


async def test_the_widget_files_and_the_pages_its_suggestions_open(
    web_client: httpx.AsyncClient,
) -> None:
    script = await web_client.get("/widget/guichet.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert 'role", "option"' in script.text or "role=combobox" in script.text.replace('"', "")
    css = await web_client.get("/widget/guichet.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    article = await web_client.get("/kb/fr/reset-password")
    assert article.status_code == 200 and '<html lang="fr">' in article.text
    assert "<h1>" in article.text and "/widget/guichet.js" in article.text
    assert (await web_client.get("/kb/en/no-such-article")).status_code == 404
    assert (await web_client.get("/kb/de/reset-password")).status_code == 404
    catalog = await web_client.get("/catalog/headset-wireless", params={"lang": "fr"})
    assert catalog.status_code == 200 and "casque" in catalog.text.lower()


async def test_demo_intranet_in_development_only(web_services: Services) -> None:
    development = create_app(load_settings(), web_services)
    production = create_app(
        load_settings(
            environment="production",
            secret_key="hJ4s9Qe2Vx7Lm0Rk3Tb8Wn5Yc1Pz6Ud-Gf_Ka2Hs7Jd4Nq9Xv3Bm8Ct5Ew1",
            directory={"backend": "ldap"},
            delivery={"email": "none", "sms": "none"},
        ),
        web_services,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=development), base_url="http://guichet.test"
    ) as client:
        home = await client.get("/")
        assert home.status_code == 200 and 'data-token-url="/demo/portal/token"' in home.text
        visitor = await client.get("/", params={"visitor": "true"})
        assert "data-token-url" not in visitor.text
        token = (await client.get("/demo/portal/token")).json()
        assert token["user"] == MARIE
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production), base_url="http://guichet.test"
    ) as client:
        assert (await client.get("/")).headers["location"] == "/docs"
        assert (await client.get("/demo/portal/token")).status_code == 404


async def test_a_push_reaches_the_open_event_stream(
    live_server: str, web_services: Services, mint: Mint
) -> None:
    """Over a real socket: the `web` channel is registered at start-up; what it pushes comes
    down the stream, and a reconnect with Last-Event-ID gets only what it missed."""
    channel = web_services.channels.get("web")
    assert isinstance(channel, WebChannel)
    headers = auth(mint())
    async with httpx.AsyncClient(base_url=live_server, timeout=10) as client:
        conversation = await start(client, mint())

        async def first_event(extra: dict[str, str]) -> dict[str, str]:
            async with client.stream(
                "GET", "/widget/api/events", headers={**headers, **extra}
            ) as stream:
                assert stream.headers["content-type"].startswith("text/event-stream")
                fields: dict[str, str] = {}
                async for line in stream.aiter_lines():
                    if not line and "data" in fields:
                        return fields
                    if line and not line.startswith(":"):
                        name, _, value = line.partition(": ")
                        fields[name] = value
            raise AssertionError("the stream ended")

        listening = asyncio.create_task(first_event({"Last-Event-ID": conversation["cursor"]}))
        await asyncio.sleep(0.3)
        await channel.push(
            user_id=MARIE,
            conversation_id=conversation["id"],
            replies=[Reply(text="INC-0042 is resolved")],
        )
        event = await asyncio.wait_for(listening, 5)
        assert event["event"] == "message"
        pushed = json.loads(event["data"])
        assert pushed["conversation_id"] == conversation["id"]
        assert pushed["replies"][0]["text"] == "INC-0042 is resolved"
        await channel.push(user_id=MARIE, conversation_id=None, replies=[Reply(text="second")])
        missed = await asyncio.wait_for(first_event({"Last-Event-ID": event["id"]}), 5)
        assert json.loads(missed["data"])["replies"][0]["text"] == "second"


async def test_an_event_stream_ends_soon_and_when_the_token_expires(
    web_services: Services, mint: Mint
) -> None:
    """A server shutting down waits for open streams: each lasts `stream_seconds`, and none
    outlives its token (the widget reconnects, with a fresh token if need be)."""
    settings = web_services.settings
    web = settings.web.model_copy(update={"stream_seconds": 1.0, "keepalive_seconds": 0.2})
    app = create_app(settings.model_copy(update={"web": web}), web_services)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://guichet.test", timeout=10
        ) as client,
    ):
        loop = asyncio.get_running_loop()
        began = loop.time()
        short = await client.get("/widget/api/events", headers=auth(mint()))
        assert short.status_code == 200 and 0.9 <= loop.time() - began < 5
        assert short.text.startswith("retry: ") and ": keep-alive" in short.text
        assert "event: expired" not in short.text
        web.stream_seconds = 30.0
        expiring = await client.get(
            "/widget/api/events", headers=auth(mint(lifetime=timedelta(seconds=1)))
        )
        assert expiring.text.rstrip().endswith("event: expired\ndata: {}")


async def test_a_5000_character_message_is_refused_with_its_length_and_the_limit(
    web_client: httpx.AsyncClient, mint: Mint
) -> None:
    token = mint()
    conversation = await start(web_client, token)
    path = f"/widget/api/conversations/{conversation['id']}/messages"
    text = "mon imprimante " * 334  # 5,010 characters
    for language, said in (
        ("en", "too long: 5,010 characters, the limit is 4,000; shorten it or split it"),
        ("fr", "trop long\u00a0: 5\u202f010 caractères, la limite est de 4\u202f000"),
    ):
        refused = await web_client.post(
            path,
            json={"text": text},
            headers={**auth(token), "Accept-Language": f"{language},en;q=0.5"},
        )
        assert refused.status_code == 422
        body = refused.json()
        assert body["error"] == "InvalidInput" and said in body["fields"]["body.text"]
        assert "imprimante" not in refused.text  # the text is not echoed back
    limits = (await web_client.get("/widget/api/session", headers=auth(token))).json()["limits"]
    assert limits == {"message": 4000, "search": 200}


async def test_a_mistyped_article_address_gets_a_page_with_a_search_box_not_json(
    web_client: httpx.AsyncClient,
) -> None:
    for path, headers, language, title in (
        ("/kb/en/no-such-article", {"Accept-Language": "fr-FR,fr;q=0.9"}, "fr", "existe pas"),
        ("/kb/de/reset-password?lang=en", {}, "en", "does not exist"),
        ("/kb/reset-password", {"Accept-Language": "en"}, "en", "does not exist"),
        ("/kb/en/Bad%20Slug!", {"Accept-Language": "fr"}, "fr", "existe pas"),
        ("/catalog/no-such-item?lang=fr", {}, "fr", "existe pas"),
    ):
        response = await web_client.get(path, headers={"Accept": "text/html", **headers})
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert f'<html lang="{language}">' in response.text and title in response.text, path
        assert 'action="/kb/search"' in response.text and 'href="/"' in response.text
    results = await web_client.get("/kb/search", params={"q": "mot de passe", "lang": "fr"})
    assert results.status_code == 200 and 'href="/kb/fr/reset-password"' in results.text
    api = await web_client.get("/api/v1/tickets/INC-0", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/json")  # the API keeps JSON


async def test_a_visitor_choosing_reset_my_password_is_sent_to_a_guichet_page(
    web_client: httpx.AsyncClient,
) -> None:
    for language in ("en", "fr"):
        found = await web_client.get(
            "/widget/api/suggest", params={"q": "reset password", "lang": language}
        )
        suggestions = found.json()["suggestions"]
        action = next(s for s in suggestions if s["id"] == f"{language}-action-reset-password")
        assert action["action"] is None  # a visitor gets the page, not the chat
        assert action["url"] == f"/kb/{language}/reset-password"
        assert (await web_client.get(action["url"])).status_code == 200


async def test_the_browser_finds_a_favicon(web_client: httpx.AsyncClient) -> None:
    for path in ("/favicon.ico", "/widget/favicon.svg"):
        icon = await web_client.get(path)
        assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    article = await web_client.get("/kb/en/reset-password")
    assert '<link rel="icon" href="/widget/favicon.svg"' in article.text


@pytest.mark.parametrize("language", ["en", "fr"])
async def test_an_employee_opens_a_known_error_and_reads_its_title_and_symptom_once(
    web_client: httpx.AsyncClient, language: str
) -> None:
    response = await web_client.get(f"/kb/{language}/vpn-hotel-wifi-drops")
    assert response.status_code == 200
    page = response.text
    title = re.search(r"<h1>(.*?)</h1>", page)
    assert title is not None
    headings = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", page)
    assert headings.count(title.group(1)) == 1, f"the title is one heading: {headings}"
    assert {"Symptom", "Symptôme"} & set(headings), f"the article's own sections: {headings}"
