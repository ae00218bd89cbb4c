"""Planned maintenance end to end: a change read from the replayed ServiceNow shows in the
omnibox (over HTTP) only during its window, by an injected clock; those affected are told once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

from bot.app.web import create_app
from bot.kernel.notices import NewNotice
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from bot.settings.changes import ChangeSettings
from bot.settings.itsm import ServiceNowSettings
from bot.storage.tables import NotificationRow
from bot.tickets.maintenance import Announcer, CalendarSync
from connectors.itsm.servicenow.changes import ServiceNowChangeCalendar
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import Instance, servicenow_app

pytestmark = pytest.mark.slow

START = datetime(2026, 11, 5, 21, 0, tzinfo=UTC)  # 22:00 in Paris
END = START + timedelta(hours=1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def servicenow() -> Iterator[tuple[str, Instance]]:
    app, instance = servicenow_app(Faults())
    server = LocalServer(app).start()
    yield server.url, instance
    server.stop()


@pytest.fixture
async def app(services: Services) -> AsyncIterator[FastAPI]:
    app = create_app(services.settings, services)
    async with app.router.lifespan_context(app):
        yield app


async def _suggested(app: FastAPI, query: str, language: str = "en") -> list[dict[str, str]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test"
    ) as client:
        answer = await client.get(
            "/api/v1/suggest", params={"q": query, "lang": language, "tz": "Europe/Paris"}
        )
    assert answer.status_code == 200, answer.text
    return [s for s in answer.json()["suggestions"] if s["type"] == "maintenance_notice"]


async def test_a_servicenow_change_shows_in_the_omnibox_only_during_its_window(
    services: Services, app: FastAPI, servicenow: tuple[str, Instance]
) -> None:
    url, instance = servicenow
    change = instance.add_change("Upgrade of the VPN concentrators", START, END, ci="VPN")
    instance.add_change("Rename the file shares", START, END, ci="Files", state="-4",
                        approval="requested")  # fmt: skip
    clock = Clock(START - timedelta(days=2))
    services.notices.clock = clock
    services.notices.show_ahead = timedelta(0)
    calendar = ServiceNowChangeCalendar(
        ServiceNowSettings(
            base_url=url, username="guichet.integration", password=SecretStr("guichet-pass")
        ),
        timeout=5,
    )
    sync = CalendarSync(services.database, services.notices, {"servicenow": calendar})
    try:
        report = await sync.read_once()
        assert (report.changes, report.published) == (2, 1)  # the unapproved one: no notice
        assert (await sync.read_once()).published == 0  # read again: the same notice
    finally:
        await sync.aclose()

    assert await _suggested(app, "vpn") == []  # two days before
    clock.now = START - timedelta(minutes=1)
    assert await _suggested(app, "vpn") == []
    clock.now = START + timedelta(minutes=10)
    during = await _suggested(app, "vpn")
    assert [s["title"] for s in during] == ["Planned maintenance: Upgrade of the VPN concentrators"]
    assert "in progress until 11:00\u202fPM CET" in during[0]["snippet"]
    french = await _suggested(app, "vpn", "fr")
    assert "en cours jusqu’à 23:00 CET" in french[0]["snippet"]
    assert await _suggested(app, "imprimante") == []  # not what the query is about
    clock.now = END
    assert await _suggested(app, "vpn") == []  # over

    # Shown as upcoming a little before, when the deployment says so.
    services.notices.show_ahead = timedelta(hours=12)
    clock.now = START - timedelta(hours=3)
    upcoming = await _suggested(app, "vpn")
    assert (
        "planned Thursday, November 5, 2026, 10:00\u202fPM–11:00\u202fPM CET"
        in (upcoming[0]["snippet"])
    )
    notice = await services.notices.by_reference(change["number"])
    assert notice is not None and notice.service == "VPN"


def _ticket(requester: str, title: str) -> NewTicket:
    return NewTicket(
        kind="incident", requester=requester, channel="web", conversation_id=None, title=title,
        description=title, category="network", impact="person", urgency="low", priority="P5",
        language="fr",
    )  # fmt: skip


async def _notified(services: Services) -> dict[str, list[str]]:
    async with services.database.sessions() as session:
        rows = (await session.scalars(select(NotificationRow))).all()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.user_id, []).extend(r["text"] for r in row.replies["replies"])
    return found


async def test_an_announcement_reaches_each_affected_user_once(services: Services) -> None:
    await services.tickets.create(_ticket("ann@norvane.example", "Le VPN coupe souvent"))
    await services.tickets.create(_ticket("bob@norvane.example", "Imprimante bloquée"))
    notice = await services.notices.publish(
        NewNotice(
            kind="maintenance",
            title_en="VPN upgrade",
            title_fr="Mise à jour du VPN",
            service="VPN",
            starts_at=START,
            ends_at=END,
        )
    )
    clock = Clock(START - timedelta(hours=30))
    announcer = Announcer(
        services.database,
        services.notices,
        services.directory,
        services.reach,
        ChangeSettings(announce_hours=24),
        default_language="en",
        default_zone="Europe/Paris",
        clock=clock,
    )
    assert await announcer.announce_due() == 0  # more than 24 h before
    clock.now = START - timedelta(hours=20)
    assert await announcer.announce_due() == 1
    assert await announcer.announce_due() == 0  # once per person
    told = await _notified(services)
    assert list(told) == ["ann@norvane.example"]  # bob's ticket is not about the VPN
    assert told["ann@norvane.example"] == [
        "Mise à jour du VPN (VPN), prévue jeudi 5 novembre 2026, 22:00–23:00 CET. "
        "Inutile d’ouvrir un ticket à ce sujet."
    ]

    # The service's users from the directory when its group is configured.
    by_group = Announcer(
        services.database,
        services.notices,
        services.directory,
        services.reach,
        ChangeSettings(service_groups={"vpn": "service-desk"}),
        default_language="en",
        default_zone="Europe/Paris",
        clock=clock,
    )
    members = {p.email for p in await services.directory.members("service-desk")}
    assert members and await by_group.announce_due() == len(members - {"ann@norvane.example"})
    assert await by_group.announce_due() == 0
    assert set(await _notified(services)) == members | {"ann@norvane.example"}
    assert notice.status == "active"
