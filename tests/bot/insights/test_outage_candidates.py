"""Grouped outage reports wait for an agent when notices are not published automatically; once
published, the bot tells the next person first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.services import open_services
from bot.insights.notices import OutageCandidates
from bot.services import Components, Services
from bot.settings import load_settings
from bot.settings.insights import InsightsSettings
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow


@pytest.fixture
async def reviewed(
    components: Components, database_url: str, tmp_path: Path
) -> AsyncIterator[Services]:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        insights=InsightsSettings(auto_publish_outages=False),
    )
    opened = await open_services(settings, components)
    try:
        yield opened
    finally:
        await opened.close()


async def _report(services: Services, user: str) -> None:
    chat = await Chat.start(services, user=f"{user}@norvane.example")
    await chat.say("please open a ticket: SAP is down, it shows an error 503 when I log in")
    await chat.press("My team")
    await chat.press("It blocks my work")
    assert "Ticket " in await chat.press("Yes")


async def test_an_agent_publishes_the_candidate_and_the_bot_tells_it_first(
    reviewed: Services,
) -> None:
    for user in ("ian", "jo", "kim"):
        await _report(reviewed, user)
    candidates = OutageCandidates(reviewed.database, reviewed.notices, reviewed.tickets.store)
    (candidate,) = await candidates.all()
    assert candidate.state == "waiting" and len(candidate.reports) == 3
    assert await reviewed.notices.list_active() == []  # nothing published behind the agents

    notice = await candidates.publish(candidate.reference, None, actor="zoe@norvane.example")
    assert notice.title_en.startswith("Ongoing incident: ") and notice.source == "agent"
    chat = await Chat.start(reviewed, user="lea@norvane.example", language="fr")
    said = await chat.say("SAP ne marche plus, erreur 503")
    assert said.startswith(f"Incident en cours connu\u00a0: {notice.title_fr}.")
    again = await chat.say("toujours l'erreur 503 sur SAP")
    assert not again.startswith("Incident en cours connu")  # told once per conversation

    dismissed = await candidates.dismiss(candidate.reference, actor="zoe@norvane.example")
    assert dismissed.state == "dismissed" and await reviewed.notices.list_active() == []
    history = await reviewed.tickets.store.history(candidate.reference)
    assert history[-1].actor == "zoe@norvane.example"
    assert history[-1].data["details"]["to"]["notice_dismissed"] is True
