"""One console page per change read from the ITSM tool: the spike of a seeded week against the
weeks before, and, before a change is approved, the questions similar past changes brought."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from bot.insights.service import open_insights
from bot.kernel.changes import PlannedChange
from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from bot.storage.tables import KnowledgeGapEventRow, TicketRow
from bot.tickets.maintenance import CalendarSync

pytestmark = pytest.mark.slow
PASSWORD = "correct horse 42"
START = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)
END = START + timedelta(hours=2)
PAST = START - timedelta(days=60)


class Calendar:
    """A calendar as a tool would give it: here the changes are already known."""

    name = "servicenow"

    def __init__(self, changes: list[PlannedChange]) -> None:
        self.changes = changes

    async def planned_changes(self, *, since: datetime) -> list[PlannedChange]:
        return self.changes

    async def aclose(self) -> None:
        return None


def _change(reference: str, title: str, start: datetime, state: str) -> PlannedChange:
    return PlannedChange(
        source="servicenow", upstream_id=reference.lower(), reference=reference, title=title,
        service="Email", starts_at=start, ends_at=start + timedelta(hours=2), state=state,  # type: ignore[arg-type]
    )  # fmt: skip


async def _seed(services: Services) -> None:
    async def ticket(title: str, at: datetime) -> None:
        created = await services.tickets.create(
            NewTicket(
                kind="incident",
                requester="ann@norvane.example",
                channel="web",
                conversation_id=None,
                title=title,
                description=title,
                category="software",
                impact="person",
                urgency="low",
                priority="P5",
                language="en",
            )
        )
        async with services.database.sessions.begin() as session:
            await session.execute(
                update(TicketRow).where(TicketRow.id == created.id).values(created_at=at)
            )

    async with services.database.sessions.begin() as session:

        def miss(text: str, at: datetime) -> None:
            key = " ".join(sorted(text.split()))
            session.add(KnowledgeGapEventRow(
                query_key=key, query=text, language="en", best_score=0.1, at=at))  # fmt: skip

        for day in range(1, 28, 3):  # the weeks before: a question now and then
            miss("printer toner", START - timedelta(days=day))
        for hour in range(0, 20, 2):  # the change's window and the day after: a spike
            miss("outlook asks for password again", START + timedelta(hours=hour))
            miss("shared mailbox missing", START + timedelta(hours=hour, minutes=30))
        for hour in (1, 5):  # what the similar past change brought
            miss("calendar invitations lost", PAST + timedelta(hours=hour))
    for day in range(2, 28, 7):
        await ticket("Printer jam", START - timedelta(days=day))
    for hour in range(0, 12, 2):
        await ticket("Outlook keeps asking for my password", START + timedelta(hours=hour))


async def _agent(app: FastAPI, services: Services) -> httpx.AsyncClient:
    await services.auth.create_user("ops@norvane.example", role="agent", password=PASSWORD)
    browser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://guichet.test",
        headers={"Accept": "text/html"},
    )  # fmt: skip
    form = await browser.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert token
    signed = await browser.post(
        "/console/login",
        data={"email": "ops@norvane.example", "password": PASSWORD, "csrf_token": token[1]},
    )
    assert signed.status_code == 303
    return browser


async def test_the_change_page_shows_the_spike_and_what_similar_changes_brought(
    services: Services, app: FastAPI
) -> None:
    await _seed(services)
    calendar = Calendar([
        _change("CHG0030001", "Exchange Online migration wave 2", START, "closed"),
        _change("CHG0029000", "Exchange migration wave 1", PAST, "closed"),
        _change("CHG0030100", "Exchange migration wave 3", START + timedelta(days=20), "requested"),
    ])  # fmt: skip
    await CalendarSync(services.database, services.notices, {"servicenow": calendar}).read_once(
        START - timedelta(days=1)
    )
    impact = open_insights(services).impact
    view = await impact.view("CHG0030001")
    assert (view.tickets.window, view.tickets.baseline) == (6, 4)
    assert (view.failing_searches.window, view.failing_searches.baseline) == (20, 9)
    # 20 in 26 h against 9 in 4 weeks: some 57 times the usual rate.
    assert view.failing_searches.ratio is not None and view.failing_searches.ratio > 20
    assert [q.text for q in view.questions if q.new] == [
        "outlook asks for password again",
        "shared mailbox missing",
    ]
    browser = await _agent(app, services)
    try:
        listing = await browser.get("/console/changes")
        assert listing.status_code == 200 and "CHG0030001" in listing.text
        page = await browser.get("/console/changes/CHG0030001")
        assert page.status_code == 200
        assert "outlook asks for password again" in page.text and "spike" in page.text
        upcoming = await browser.get("/console/changes/CHG0030100?lang=fr")
        assert "Pas encore approuvé" in upcoming.text
        assert "calendar invitations lost" in upcoming.text  # wave 1 brought it
        assert "CHG0029000" in upcoming.text
        missing = await browser.get("/console/changes/CHG9999999")
        assert missing.status_code == 404
    finally:
        await browser.aclose()
