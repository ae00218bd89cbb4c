"""Where is my ticket? The chat says what each ticket waits for, in words that fit it (an order
awaits its approver, not "information"), and names the agent who has it, never their address."""

from __future__ import annotations

import pytest

from bot.kernel.language import Language
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.kernel.tickets import Status
from bot.services import Services
from tests.bot.dialogue.chat import Chat

pytestmark = pytest.mark.slow
MAX = "max@norvane.example"


async def _ticket(services: Services, kind: str = "incident", **details: object) -> Ticket:
    return await services.tickets.create(
        NewTicket(
            kind=kind,  # type: ignore[arg-type]
            requester=MAX,
            channel="api",
            conversation_id=None,
            title="Écran 24 pouces" if kind == "request" else "VPN drops",
            description="-",
            category="request" if kind == "request" else "network",
            impact="person",
            urgency="low",
            priority="P5",
            language="fr",
            details=details,
        )
    )


async def _moved(services: Services, ticket: Ticket, *statuses: Status) -> Ticket:
    for status in statuses:
        ticket = await services.tickets.transition(ticket.reference, status, actor="guichet")
    return ticket


@pytest.mark.parametrize(
    ("language", "awaiting"),
    [
        ("en", "status pending (awaiting approval by your manager)"),
        ("fr", "statut en suspens (en attente de l'approbation de votre manager)"),
    ],
)
async def test_an_employee_asks_where_their_order_is_and_hears_it_awaits_their_managers_approval(
    services: Services, language: Language, awaiting: str
) -> None:
    order = await _ticket(
        services, "request", approval="waiting", approver="manager", requires_approval=True
    )
    await _moved(services, order, "pending")
    chat = await Chat.start(services, user=MAX, language=language)
    said = await chat.say(f'/incident_status{{"ticket_number": "{order.reference}"}}')
    assert awaiting in said
    assert "information" not in said


@pytest.mark.parametrize(
    ("language", "statuses", "explained"),
    [
        ("en", ("awaiting_information",), "(waiting for your reply)"),
        ("fr", ("awaiting_information",), "(en attente de votre réponse)"),
        ("en", ("pending",), "(waiting for a third party (a supplier, another team))"),
        ("fr", ("pending",), "(en attente d'un tiers (un fournisseur, une autre équipe))"),
        ("en", (), "(waiting for the service desk to take it)"),
        ("fr", ("assigned", "resolved"), "(en attente de votre confirmation que tout fonctionne)"),
    ],
)
async def test_an_employee_asks_where_their_incident_is_and_hears_what_it_waits_for(
    services: Services, language: Language, statuses: tuple[Status, ...], explained: str
) -> None:
    incident = await _moved(services, await _ticket(services), *statuses)
    chat = await Chat.start(services, user=MAX, language=language)
    said = await chat.say(f'/incident_status{{"ticket_number": "{incident.reference}"}}')
    assert explained in said


@pytest.mark.parametrize(
    ("display_name", "shown"),
    [
        ("Zoé Martin", "Zoé Martin"),
        (None, "Zoe Martin"),
        ("zoe.martin@norvane.example", "Zoe Martin"),
    ],
)
async def test_an_employee_asks_where_their_ticket_is_and_hears_the_agents_name(
    services: Services, display_name: str | None, shown: str
) -> None:
    agent = "zoe.martin@norvane.example"
    await services.auth.create_user(agent, role="agent", display_name=display_name)
    incident = await _moved(services, await _ticket(services), "assigned")
    await services.tickets.update(incident.reference, actor=agent, assignee=agent)
    chat = await Chat.start(services, user=MAX, language="en")
    said = await chat.say("/incident_status")
    assert f"Handled by {shown}." in said
    assert agent not in said and "@" not in said
