"""A major incident reaches people: a notice published in the console is pushed to every
requester of its linked tickets, through the local Slack and Teams servers and the widget's
event stream, once, in their language; an update once more, to an omnibox subscriber too;
resolving the parent in ServiceNow resolves the children there and asks each requester "does
it work now?"; their "yes" closes the ticket and brings the satisfaction survey, whose answer
shows in the KPIs."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from bot.app.services import open_services, sync_worker
from bot.app.web import create_app
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Components, Services
from bot.settings import TicketSettings, load_settings
from bot.settings.channels import ChannelSettings
from bot.settings.web import WebSettings
from bot.storage.tables import NotificationRow
from connectors.web.tokens import mint_token
from tests.browser import served
from tests.connectors.slack.fake_slack import (
    SIGNING_SECRET,
    TOKEN,
    FakeSlack,
    direct_message,
    event_callback,
    signed_headers,
)
from tests.connectors.teams.conftest import teams_settings
from tests.connectors.teams.fake_microsoft import FakeConnector, TokenIssuer, personal_message
from tests.contracts.fakes.server import serve_fake
from tests.faults.servers import CountingServiceNow, counting_servicenow

pytestmark = pytest.mark.slow

ANN, BEA = "ann.martin@norvane.example", "bea.durand@norvane.example"  # Slack (en), Teams (fr)
MARIE, PAUL = "marie.dupont@norvane.example", "paul.roux@norvane.example"  # the widget
PORTAL_KEY = "portal-test-key-" + "0123456789abcdef" * 3
ISSUER = "https://intranet.norvane.example"
PASSWORD = "correct horse 42"


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    yield from serve_fake(TokenIssuer())


@pytest.fixture
def connector(issuer: TokenIssuer) -> Iterator[FakeConnector]:
    yield from serve_fake(FakeConnector(issuer))


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    yield from serve_fake(FakeSlack())


@pytest.fixture
def servicenow() -> Iterator[CountingServiceNow]:
    yield from counting_servicenow()


@dataclass
class Desk:
    services: Services
    url: str


@pytest.fixture
async def desk(
    components: Components,
    tmp_path: Path,
    issuer: TokenIssuer,
    slack: FakeSlack,
    servicenow: CountingServiceNow,
) -> AsyncIterator[Desk]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'guichet.db'}",
        teams=teams_settings(issuer),
        slack_signing_secret=SecretStr(SIGNING_SECRET),
        slack_bot_token=SecretStr(TOKEN),
        slack_api_url=f"{slack.url}/api/",
        web=WebSettings(
            portal_key=SecretStr(PORTAL_KEY), token_issuer=ISSUER, allowed_origins=[ISSUER]
        ),
        channels=ChannelSettings(notify_interval_seconds=0.2),
        tickets=TicketSettings(sync_backends=["servicenow"], run_sync_worker=False),
        itsm=servicenow.itsm(),
    )
    services = await open_services(settings, components)
    try:
        async with served(create_app(settings, services)) as url:
            yield Desk(services, url)
    finally:
        await services.close()


def bearer(email: str) -> dict[str, str]:
    token = mint_token(
        email, PORTAL_KEY, audience="guichet", issuer=ISSUER, lifetime=timedelta(minutes=30)
    )
    return {"Authorization": f"Bearer {token}"}


class Widget:
    """One employee's widget: their conversation and the event stream it reads pushes from."""

    def __init__(self, client: httpx.AsyncClient, email: str) -> None:
        self.client, self.headers = client, bearer(email)
        self.conversation, self.cursor = "", ""

    async def open(self, language: str) -> None:
        started = await self.client.post(
            "/widget/api/conversations", json={"language": language}, headers=self.headers
        )
        assert started.status_code == 201, started.text
        self.conversation, self.cursor = started.json()["id"], started.json()["cursor"]

    async def say(self, text: str) -> list[dict[str, Any]]:
        answer = await self.client.post(
            f"/widget/api/conversations/{self.conversation}/messages",
            json={"text": text},
            headers=self.headers,
        )
        assert answer.status_code == 200, answer.text
        return list(answer.json()["replies"])

    async def pushed(self, count: int) -> list[str]:
        """The texts of the next `count` pushed messages, read from the event stream."""
        texts: list[str] = []
        headers = {**self.headers, "Last-Event-ID": self.cursor}
        async with self.client.stream("GET", "/widget/api/events", headers=headers) as stream:
            fields: dict[str, str] = {}
            async for line in stream.aiter_lines():
                if not line and "data" in fields:
                    self.cursor = fields["id"]
                    texts += [r["text"] for r in json.loads(fields["data"])["replies"]]
                    if len(texts) >= count:
                        return texts
                    fields = {}
                elif line and not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
        raise AssertionError(f"the stream ended after {texts}")

    async def nothing_more(self) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(self.pushed(1), 1.5)


async def _console(client: httpx.AsyncClient, services: Services) -> str:
    """Sign an agent in; the CSRF token of their session."""
    await services.auth.create_user("zoe@norvane.example", role="agent", password=PASSWORD)
    form = await client.get("/console/login", headers={"Accept": "text/html"})
    signed = await client.post(
        "/console/login",
        data={"email": "zoe@norvane.example", "password": PASSWORD, "csrf_token": _csrf(form.text)},
    )
    assert signed.status_code == 303, signed.text
    return _csrf((await client.get("/console/notices")).text)


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def _outage(services: Services) -> tuple[Ticket, list[Ticket]]:
    """Three reports of SAP down, grouped under a parent incident (as outage grouping does)."""
    parent = await services.tickets.create(
        NewTicket(
            kind="incident", requester="guichet:outage-grouping", channel="guichet",
            conversation_id=None, title="Major incident candidate: SAP is down",
            description="3 reports",
            category="software", impact="organisation", urgency="critical", priority="P1",
            language="en", details={"symptom": "SAP is down", "major_incident": True},
        )
    )  # fmt: skip
    children = []
    for email, channel, language in (
        (ANN, "slack", "en"),
        (BEA, "teams", "fr"),
        (MARIE, "web", "fr"),
    ):
        child = await services.tickets.create(
            NewTicket(
                kind="incident", requester=email, channel=channel, conversation_id=None,
                title="SAP is down", description="error 503 when I log in to SAP",
                category="software",
                impact="team", urgency="high", priority="P2", language=language,
            )
        )  # fmt: skip
        children.append(
            await services.tickets.link_parent(child.reference, parent.reference, actor="t")
        )
    return parent, children


async def _queued(services: Services) -> int:
    async with services.database.sessions() as session:
        return int(await session.scalar(select(func.count(NotificationRow.id))) or 0)


async def test_a_major_incident_reaches_each_requester_once_and_its_resolution_closes_the_loop(
    desk: Desk,
    slack: FakeSlack,
    connector: FakeConnector,
    issuer: TokenIssuer,
    servicenow: CountingServiceNow,
) -> None:
    services = desk.services
    async with httpx.AsyncClient(base_url=desk.url, timeout=20) as client:
        # Ann talks to Guichet in Slack, Béa in Teams (in French), Marie and Paul in the widget
        body = event_callback(direct_message("U0ANN", "hello"))
        headers = {"Content-Type": "application/json", **signed_headers(body)}
        assert (
            await client.post("/slack/events", content=body, headers=headers)
        ).status_code == 200
        await asyncio.to_thread(slack.wait_for, "chat.postMessage", 1)
        token = issuer.activity_token(connector.url)
        hello = personal_message(connector.url, "29:1bea", text="bonjour", locale="fr-FR")
        sent = await client.post(
            "/api/messages", json=hello, headers={"Authorization": f"Bearer {token}"}
        )
        assert sent.status_code in {200, 202}
        await asyncio.to_thread(connector.wait_for, 1)
        marie, paul = Widget(client, MARIE), Widget(client, PAUL)
        await marie.open("fr")
        await marie.say("bonjour")
        await paul.open("en")
        await paul.say("hello")

        parent, children = await _outage(services)
        worker = sync_worker(services)
        assert worker is not None
        try:
            await worker.deliver_once()  # the four incidents exist in ServiceNow

            # the agent publishes the candidate's notice in the console
            csrf = await _console(client, services)
            published = await client.post(
                f"/console/notices/candidates/{parent.reference}/publish", data={"csrf_token": csrf}
            )
            assert published.status_code == 303, published.text
            (notice,) = await services.notices.list_active()

            posted = await asyncio.to_thread(slack.wait_for, "chat.postMessage", 2)
            assert posted[1].args["channel"] == "D0ANN"
            assert posted[1].args["text"].startswith("Ongoing incident: SAP is down\n")
            teams = await asyncio.to_thread(connector.wait_for, 2)
            assert teams[1].conversation_id == "a:1personal-1bea"
            assert "Incident en cours\u00a0: SAP is down" in json.dumps(
                teams[1].activity, ensure_ascii=False
            )
            (told,) = await marie.pushed(1)
            assert told.startswith("Incident en cours\u00a0: ") and "Je vous tiendrai" in told
            await paul.nothing_more()  # no ticket, no subscription: not concerned

            # once: a retry of the announcement and the catch-up round send nothing more
            queued = await _queued(services)
            assert await services.incidents.announce(notice) == 0
            assert await services.incidents.catch_up() == 0
            assert await _queued(services) == queued

            # Paul subscribes from the omnibox: the notice's suggestion, then "Notify me"
            found = await client.get(
                "/widget/api/suggest",
                params={"q": "SAP is down", "lang": "en"},
                headers=paul.headers,
            )
            first = found.json()["suggestions"][0]
            assert first["type"] == "incident_notice" and first["id"] == f"notice-{notice.id}"
            subscribed = await client.post(
                f"/widget/api/notices/{notice.id}/subscribe",
                json={"language": "en"},
                headers=paul.headers,
            )
            assert subscribed.json() == {"notice_id": notice.id, "new": True}
            again = await client.post(
                f"/widget/api/notices/{notice.id}/subscribe", json={}, headers=paul.headers
            )
            assert again.json()["new"] is False
            missing = await client.post(
                "/widget/api/notices/999/subscribe", json={}, headers=paul.headers
            )
            assert missing.status_code == 404

            # the agent updates the notice: everyone is told once more, Paul too
            updated = await client.post(
                f"/console/notices/{notice.id}",
                data={
                    "title_en": notice.title_en, "title_fr": notice.title_fr,
                    "body_en": "Fix expected at 11:00.", "body_fr": "Retour prévu à 11 h.",
                    "severity": "outage", "csrf_token": csrf,
                },
            )  # fmt: skip
            assert updated.status_code == 303
            posted = await asyncio.to_thread(slack.wait_for, "chat.postMessage", 3)
            assert (
                posted[2]
                .args["text"]
                .startswith('Update on the incident "Ongoing incident: SAP is down".')
            )
            assert "Fix expected at 11:00." in posted[2].args["text"]
            teams = await asyncio.to_thread(connector.wait_for, 3)
            assert "Du nouveau sur l'incident «\u00a0Incident en cours" in json.dumps(
                teams[2].activity, ensure_ascii=False
            )
            (update,) = await marie.pushed(1)
            assert "Retour prévu à 11 h." in update
            (update,) = await paul.pushed(1)
            assert (
                update.startswith("Update on the incident ") and "Fix expected at 11:00." in update
            )
            await services.incidents.catch_up()
            await asyncio.sleep(1.0)
            assert len(slack.of("chat.postMessage")) == 3 and len(connector.posted) == 3

            # the service desk resolves the parent in ServiceNow: the children follow, upstream
            with servicenow.instance.lock:
                record = next(
                    r for r in servicenow.instance.tables["incident"]
                    if r["correlation_id"] == parent.reference
                )  # fmt: skip
                servicenow.instance.update_incident(
                    record, {"state": "6", "close_code": "Solved (Permanently)"}, "itil.agent"
                )
            assert await worker.poll_once() >= 1
            for child in children:
                assert (await services.tickets.get(child.reference)).status == "resolved"
            await worker.deliver_once()
            with servicenow.instance.lock:
                upstream = {
                    r["correlation_id"]: r["state"] for r in servicenow.instance.tables["incident"]
                }
            assert all(upstream[child.reference] == "6" for child in children), upstream

            # each requester is asked "does it work now?" on their channel, in their language
            posted = await asyncio.to_thread(slack.wait_for, "chat.postMessage", 4)
            assert f"Your ticket {children[0].reference}" in posted[3].args["text"]
            assert "Does it work now?" in posted[3].args["text"]
            teams = await asyncio.to_thread(connector.wait_for, 4)
            assert "Est-ce que tout fonctionne" in json.dumps(teams[3].activity, ensure_ascii=False)
            (asked,) = await marie.pushed(1)
            assert children[2].reference in asked and "Est-ce que tout fonctionne" in asked

            # Marie answers yes: her ticket closes, and the survey comes, once
            await marie.say(f'/confirm_resolution{{"ticket": "{children[2].reference}"}}')
            assert (await services.tickets.get(children[2].reference)).status == "closed"
            (survey,) = await marie.pushed(1)
            assert survey.startswith(f"Votre ticket {children[2].reference} est clos.")
            thanks = await marie.say(
                f'/survey{{"ticket": "{children[2].reference}", "score": "5"}}'
            )
            assert "Merci" in thanks[0]["text"]
            noted = await marie.say("Très rapide, merci")
            assert "commentaire" in noted[0]["text"]
            assert await services.surveys.score(children[2].reference) == (5, "Très rapide, merci")
            assert not await services.surveys.ask(await services.tickets.get(children[2].reference))

            kpis = await client.get("/console/kpis", headers={"Accept": "text/html"})
            tile = re.search(
                r'id="kpi-csat"><span class="figure">([^<]*)<small> \((\d+)/(\d+)\)', kpis.text
            )
            assert tile is not None and tile.groups() == ("100.0%", "1", "1"), kpis.text[:500]
        finally:
            await worker.aclose()
