"""Tickets for the fault tests, and the check that each reached the ITSM tool exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from sqlalchemy import text

from bot.kernel.ticket_models import NewTicket, Ticket
from bot.services import Services
from tests.faults.servers import CountingServiceNow


def new_ticket(number: int) -> NewTicket:
    return NewTicket(
        kind="incident",
        requester="marie.dupont@norvane.example",
        channel="api",
        conversation_id=None,
        title=f"Printer {number} jammed",
        description=f"The printer number {number} on floor 2 is jammed",
        category="hardware",
        impact="team",
        urgency="high",
        priority="P3",
        language="en",
    )


async def create_tickets(services: Services, count: int) -> list[Ticket]:
    return [await services.tickets.create(new_ticket(n)) for n in range(count)]


async def wait_until_synced(services: Services, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while await services.tickets.store.outbox.pending_count("servicenow"):
        assert time.monotonic() < deadline, "the outbox was not delivered in time"
        await asyncio.sleep(0.2)


async def assert_each_upstream_once(
    services: Services, servicenow: CountingServiceNow, tickets: list[Ticket]
) -> None:
    """Every ticket arrived once, no other arrived, and Guichet knows each one's upstream id."""
    assert servicenow.references() == Counter({ticket.reference: 1 for ticket in tickets})
    for ticket in tickets:
        states = await services.tickets.store.outbox.sync_states(ticket.id)
        assert [(s.backend, s.state) for s in states] == [("servicenow", "synced")]
        assert states[0].upstream_id
    async with services.database.engine.connect() as connection:
        failed = await connection.scalar(text("SELECT count(*) FROM outbox WHERE state != 'done'"))
    assert failed == 0
