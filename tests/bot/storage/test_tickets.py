"""Ticket and escalation storage on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.kernel.errors import TicketNotFound
from bot.kernel.ticket_models import NewTicket
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.tickets import TicketStore

pytestmark = pytest.mark.unit


def _new(kind: str = "incident", requester: str = "ann@norvane.example") -> NewTicket:
    return NewTicket(
        kind=kind,
        requester=requester,
        channel="api",  # type: ignore[arg-type]
        conversation_id=None,
        title="VPN down",
        description="VPN down since 9",
        category="network",
        impact="team",
        urgency="high",
        priority="P3",
        language="en",
        details={"transcript": [{"role": "user", "text": "x"}]},
    )


async def test_references_are_sequential_per_kind_prefix(database: Database) -> None:
    store = TicketStore(database)
    first = await store.create(_new())
    second = await store.create(_new(kind="request"))
    assert first.reference.startswith("INC-") and len(first.reference) == 10
    assert second.reference.startswith("REQ-")
    assert first.status == "new"
    loaded = await store.get(first.reference.lower())
    assert loaded.details == {"transcript": [{"role": "user", "text": "x"}]}
    assert loaded.created_at.tzinfo is not None


async def test_unknown_ticket(database: Database) -> None:
    with pytest.raises(TicketNotFound, match="INC-999999"):
        await TicketStore(database).get("INC-999999")


async def test_open_tickets_of_a_requester(database: Database) -> None:
    store = TicketStore(database)
    mine = await store.create(_new())
    await store.create(_new(requester="someone@else"))
    assert [t.reference for t in await store.open_for("ann@norvane.example")] == [mine.reference]


async def test_escalations_queue(database: Database) -> None:
    conversation = await ConversationStore(database).create(
        channel="api", user_id="u", language="en"
    )
    store = TicketStore(database)
    assert await store.waiting_escalations() == 0
    await store.escalate(
        conversation_id=conversation.id,
        requester="u",
        reason="user_request",
        summary={"last_intent": "vpn_problem"},
    )
    assert await store.waiting_escalations() == 1


async def test_asking_twice_for_an_agent_keeps_one_escalation(database: Database) -> None:
    conversation = await ConversationStore(database).create(
        channel="api", user_id="u", language="en"
    )
    store = TicketStore(database)
    first = await store.escalate(
        conversation_id=conversation.id, requester="u", reason="user_request", summary={"n": 1}
    )
    again = await store.escalate(
        conversation_id=conversation.id, requester="u", reason="frustration", summary={"n": 2}
    )
    assert again == first and await store.waiting_escalations() == 1
