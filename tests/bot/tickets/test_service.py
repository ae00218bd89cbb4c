"""Ticket rules on SQLite and PostgreSQL: priority matrix, SLA, lifecycle, history, outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.kernel.domain import utcnow
from bot.kernel.errors import InvalidRequest
from bot.kernel.ticket_models import NewTicket
from bot.kernel.tickets import InvalidTransition
from bot.settings import TicketSettings
from bot.storage.database import Database
from bot.storage.tickets import TicketStore
from bot.tickets.service import TicketService

pytestmark = pytest.mark.unit


@pytest.fixture
async def service(database_url: str):
    database = Database(database_url)
    await database.migrate()
    yield TicketService(
        TicketStore(database), TicketSettings(sync_backends=["servicenow", "request_tracker"])
    )
    await database.close()


def _new(**fields: object) -> NewTicket:
    values: dict[str, object] = {
        "kind": "incident",
        "requester": "ann@norvane.example",
        "channel": "api",
        "conversation_id": None,
        "title": "VPN down",
        "description": "VPN down since 9",
        "category": "network",
        "impact": "team",
        "urgency": "critical",
        "priority": "P5",
        "language": "en",
    }
    values.update(fields)
    return NewTicket(**values)  # type: ignore[arg-type]


async def test_priority_and_sla_come_from_settings(service: TicketService) -> None:
    before = utcnow()
    ticket = await service.create(_new())
    assert ticket.priority == "P2"  # team x critical, whatever the caller said
    assert ticket.first_response_due and ticket.resolution_due
    assert ticket.first_response_due > before
    assert ticket.resolution_due > ticket.first_response_due
    p1 = await service.create(_new(impact="organisation"))
    assert p1.priority == "P1"  # 24/7: due exactly 15 minutes after creation
    assert p1.first_response_due - p1.created_at == timedelta(minutes=15)
    custom = TicketService(
        service.store,
        TicketSettings(
            priority_matrix={
                i: dict.fromkeys(("low", "high", "critical"), "P1")
                for i in ("person", "team", "organisation")
            }
        ),
    )
    assert (await custom.create(_new(impact="person", urgency="low"))).priority == "P1"


async def test_bad_category_or_scale_is_refused(service: TicketService) -> None:
    with pytest.raises(InvalidRequest, match="category"):
        await service.create(_new(category="coffee"))
    with pytest.raises(InvalidRequest, match="impact"):
        await service.create(_new(impact="galaxy"))


async def test_lifecycle_with_history_and_outbox(service: TicketService) -> None:
    ticket = await service.create(_new())
    await service.transition(ticket.reference, "assigned", actor="agent:bob")
    with pytest.raises(InvalidTransition) as refused:
        await service.transition(ticket.reference, "closed", actor="agent:bob")
    assert "in_progress" in refused.value.allowed
    await service.transition(ticket.reference, "in_progress", actor="agent:bob")
    await service.comment(
        ticket.reference, author="agent:bob", body="Rebooting the gateway", by_agent=True
    )
    done = await service.transition(ticket.reference, "resolved", actor="agent:bob")
    assert done.status == "resolved" and done.resolved_at and done.first_response_at
    history = await service.store.history(ticket.reference)
    assert [e.kind for e in history] == ["created", "status", "status", "comment", "status"]
    assert history[1].data == {
        "status": {"from": "new", "to": "assigned"},
        "first_response_at": history[1].data["first_response_at"],
    }
    assert history[1].actor == "agent:bob"
    # one create, three status changes and one comment per backend, in order
    for backend in ("servicenow", "request_tracker"):
        items = []
        while batch := await service.store.outbox.claim(backend=backend):
            for item in batch:
                items.append(item.operation)
                await service.store.outbox.delivered(item, upstream_id="U1")
        assert items == ["create", "status", "status", "comment", "status"]
    states = await service.store.outbox.sync_states(ticket.id)
    assert [(s.backend, s.state, s.upstream_id) for s in states] == [
        ("request_tracker", "synced", "U1"),
        ("servicenow", "synced", "U1"),
    ]


async def test_reopen_and_close(service: TicketService) -> None:
    ticket = await service.create(_new())
    await service.transition(ticket.reference, "resolved", actor="agent")
    reopened = await service.transition(ticket.reference, "reopened", actor=ticket.requester)
    assert reopened.resolved_at is None
    await service.transition(ticket.reference, "resolved", actor="agent")
    closed = await service.transition(ticket.reference, "closed", actor=ticket.requester)
    assert closed.closed_at is not None
    with pytest.raises(InvalidTransition):
        await service.transition(ticket.reference, "reopened", actor=ticket.requester)


async def test_waiting_pauses_the_resolution_clock(service: TicketService) -> None:
    ticket = await service.create(_new(impact="organisation"))  # P1, 24/7
    paused = await service.transition(ticket.reference, "awaiting_information", actor="agent")
    assert paused.paused_at is not None
    resumed = await service.transition(ticket.reference, "in_progress", actor="agent")
    assert resumed.paused_at is None
    assert resumed.resolution_due is not None and ticket.resolution_due is not None
    assert resumed.resolution_due >= ticket.resolution_due


async def test_sla_breach_flags(service: TicketService) -> None:
    ticket = await service.create(_new(impact="organisation"))  # first response in 15 min
    assert ticket.sla_breaches(utcnow()) == {"first_response": False, "resolution": False}
    later = utcnow() + timedelta(hours=5)
    assert ticket.sla_breaches(later) == {"first_response": True, "resolution": True}


async def test_update_recomputes_priority_and_records_it(service: TicketService) -> None:
    ticket = await service.create(_new(impact="person", urgency="low"))
    assert ticket.priority == "P5"
    updated = await service.update(
        ticket.reference, actor="agent", urgency="critical", category="security"
    )
    assert (updated.priority, updated.category) == ("P3", "security")
    event = (await service.store.history(ticket.reference))[-1]
    assert event.data["priority"] == {"from": "P5", "to": "P3"}
    with pytest.raises(InvalidRequest, match="requester"):
        await service.update(ticket.reference, actor="agent", requester="x")


async def test_failed_delivery_is_retried_later_and_ordered(service: TicketService) -> None:
    ticket = await service.create(_new())
    await service.transition(ticket.reference, "assigned", actor="agent")
    (create,) = await service.store.outbox.claim(backend="servicenow")
    assert (
        await service.store.outbox.claim(backend="servicenow") == []
    )  # leased; status waits behind
    await service.store.outbox.failed(create, error="503", retry_at=utcnow() + timedelta(hours=1))
    assert await service.store.outbox.claim(backend="servicenow") == []  # not due; order kept
    assert (await service.store.outbox.sync_states(ticket.id))[1].last_error == "503"
    await service.store.outbox.failed(create, error="503 again", retry_at=utcnow())
    (again,) = await service.store.outbox.claim(backend="servicenow")
    assert again.operation == "create" and again.attempts == 2
