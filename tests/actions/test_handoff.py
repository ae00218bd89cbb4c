"""An honest hand-off, on SQLite and PostgreSQL, with the clock set: out of the service desk's
hours the bot says when agents are back and files the conversation (or adds it to its open
ticket); inside them it gives the median measured take-over time, or no figure without enough
take-overs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.kernel.ticket_models import NewTicket
from bot.services import Services
from bot.storage.tables import EscalationRow
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
MAX = "max@norvane.example"
# Saturday 5 December 2026, 04:20 in Paris: the desk (Mon-Fri 8:00-18:00, Paris) is closed.
SATURDAY_NIGHT = datetime(2026, 12, 5, 3, 20, tzinfo=UTC)
# Tuesday 8 December 2026, 10:00 in Paris: open.
TUESDAY_MORNING = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def at(services: Services, moment: datetime) -> None:
    """The hand-off's clock (the action's `clock` extra) reads `moment`."""
    services.engine.forms.extras["clock"] = lambda: moment


PROBLEM = {"en": "my laptop screen flickers", "fr": "l'écran de mon portable clignote"}


async def _chat(services: Services, language: str = "en", zone: str = "Europe/Paris") -> Chat:
    chat = await Chat.start(services, user=MAX, language=language)  # type: ignore[arg-type]
    await services.engine.handle(chat.conversation_id, PROBLEM[language], timezone=zone)
    return chat


async def test_out_of_hours_the_bot_says_when_agents_are_back_and_files_a_ticket(
    services: Services,
) -> None:
    at(services, SATURDAY_NIGHT)
    chat = await _chat(services, zone="America/Montreal")
    said = await chat.say("/human_handoff")
    # Monday 8:00 in Paris, told in the user's own zone with the zone named.
    assert "agents are back on Monday, December 7, 2026, 2:00\u202fAM EST" in said, said
    assert "minute" not in said
    [ticket] = await services.tickets.open_for(MAX)
    assert ticket.conversation_id == chat.conversation_id and ticket.kind == "incident"
    assert f"I have filed ticket {ticket.reference}" in said
    assert "my laptop screen flickers" in ticket.description
    assert [link.url for r in chat.replies for link in r.links] == [f"/tickets/{ticket.reference}"]
    assert await services.tickets.waiting_escalations() == 1  # in the queue for the morning


async def test_out_of_hours_in_french_on_a_holiday_the_conversation_joins_its_open_ticket(
    services: Services,
) -> None:
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)  # a Friday, a public holiday
    at(services, christmas)
    chat = await _chat(services, language="fr")
    opened = await services.tickets.create(
        NewTicket(
            kind="incident",
            requester=MAX,
            channel="api",
            conversation_id=chat.conversation_id,
            title="Écran qui clignote",
            description="-",
            category="hardware",
            impact="person",
            urgency="low",
            priority="P5",
            language="fr",
        )
    )
    said = await chat.say("/human_handoff")
    assert "les techniciens seront de retour le lundi 28 décembre 2026, 08:00 CET" in said, said
    assert f"ajouté notre conversation à votre ticket {opened.reference}" in said
    assert [t.reference for t in await services.tickets.open_for(MAX)] == [opened.reference]
    [comment] = await services.tickets.store.comments(opened.reference)
    assert PROBLEM["fr"] in comment.body


async def _taken_over(services: Services, minutes: list[int], *, day: datetime) -> None:
    """Past hand-offs, each taken by an agent `minutes` later, during opening hours."""
    for number, wait in enumerate(minutes):
        other = await services.engine.start(channel="api", user_id=f"p{number}@norvane.example")
        escalation = await services.tickets.escalate(
            conversation_id=other.id, requester=other.user_id, reason="user_request", summary={}
        )
        handed = day + timedelta(minutes=number)
        async with services.database.sessions.begin() as session:
            await session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == escalation)
                .values(
                    status="taken",
                    created_at=handed,
                    taken_at=handed + timedelta(minutes=wait),
                    assignee="zoe@norvane.example",
                )
            )


async def test_inside_hours_the_wait_is_the_median_of_recent_take_overs(
    services: Services,
) -> None:
    friday = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # 9:00 in Paris
    await _taken_over(services, [3, 5, 6, 8, 20], day=friday)
    # A take-over from a month ago does not count.
    await _taken_over(services, [240], day=datetime(2026, 11, 3, 8, 0, tzinfo=UTC))
    at(services, TUESDAY_MORNING)
    chat = await _chat(services)
    said = await chat.say("/human_handoff")
    assert "Agents have taken over in about 6 minutes lately." in said, said
    assert "You are number 1 in the queue." in said
    assert await services.tickets.open_for(MAX) == []  # an agent will take it: no ticket yet


async def test_a_take_over_across_the_night_counts_its_business_time_only(
    services: Services,
) -> None:
    # Handed over at 17:50 in Paris, taken at 8:10 the next morning: 20 business minutes.
    evening = datetime(2026, 12, 7, 16, 50, tzinfo=UTC)
    await _taken_over(services, [14 * 60 + 20] * 5, day=evening)
    at(services, TUESDAY_MORNING)
    said = await (await _chat(services, language="fr")).say("/human_handoff")
    assert "un technicien a pris le relais en 20 minutes environ" in said, said


async def test_with_too_few_take_overs_no_figure_is_promised(services: Services) -> None:
    await _taken_over(services, [3, 5, 6, 8], day=datetime(2026, 12, 4, 8, 0, tzinfo=UTC))
    at(services, TUESDAY_MORNING)
    said = await (await _chat(services)).say("/human_handoff")
    assert "An agent will answer as soon as possible." in said, said
    assert "minute" not in said
