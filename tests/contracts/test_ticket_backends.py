"""The `TicketBackend` contract, run against every backend: the real Request Tracker, and a local
server per vendor speaking its documented protocol."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bot.kernel.assets import AssetKind, AssetLink
from bot.kernel.itsm import (
    BackendRejected,
    BackendUnavailable,
    TicketBackend,
    TicketPayload,
    UpstreamConflict,
    UpstreamNotFound,
)
from bot.kernel.tickets import Status
from tests.contracts.fakes.server import free_port
from tests.contracts.harness import Harness

# Upstream times have a resolution of one second (RT, ServiceNow, GLPI): wait that long between
# "before" and "after".
CLOCK_TICK = 1.1


def payload(**changes: object) -> TicketPayload:
    reference = f"INC-{uuid.uuid4().hex[:10].upper()}"
    fields: dict[str, object] = {
        "reference": reference,
        "kind": "incident",
        "requester": "marie.dupont@norvane.example",
        "title": "Le VPN se coupe toutes les cinq minutes",
        "description": "Depuis ce matin, à l'hôtel, le VPN se coupe toutes les cinq minutes.",
        "category": "network",
        "impact": "person",
        "urgency": "high",
        "priority": "P4",  # Guichet's default matrix, also ServiceNow's
    }
    return TicketPayload.model_validate({**fields, **changes})


async def test_create_then_read(backend: TicketBackend) -> None:
    sent = payload()
    upstream_id = await backend.create(sent)

    ticket = await backend.get(upstream_id)

    assert ticket.upstream_id == upstream_id
    assert ticket.reference == sent.reference
    assert ticket.title == sent.title
    assert ticket.status == "new"
    assert ticket.priority == "P4"
    assert ticket.assignee is None


async def test_the_ticket_links_its_asset_where_the_tool_is_the_inventory(
    harness: Harness, backend: TicketBackend
) -> None:
    elsewhere = AssetLink(
        inventory="builtin", upstream_id="1", kind=AssetKind.LAPTOP, label="Latitude 5550"
    )
    link = await harness.seed_asset() if harness.seed_asset is not None else elsewhere
    sent = payload(category="hardware", asset=link)

    upstream_id = await backend.create(sent)
    assert await backend.create(sent) == upstream_id  # a retry links it once

    ticket = await backend.get(upstream_id)
    assert ticket.assets == ((link.upstream_id,) if harness.seed_asset is not None else ())
    other = await backend.get(await backend.create(payload(asset=elsewhere)))
    assert other.assets == ()  # a device of another inventory is not linked (named in the text)


async def test_create_again_returns_the_same_ticket(backend: TicketBackend) -> None:
    sent = payload()
    first = await backend.create(sent)

    assert await backend.create(sent) == first
    assert await backend.create(payload()) != first


async def test_create_after_a_lost_response_does_not_duplicate(harness: Harness) -> None:
    """The ticket was created but the answer never came (timeout): the retry finds it."""
    impatient = harness.backend(timeout=harness.patience)
    sent = payload()
    try:
        await impatient.create(payload())  # signed in: the next POST is the ticket's
        harness.faults.hang_next(harness.patience + 1, after_handling=True, method="POST")
        with pytest.raises(BackendUnavailable):
            await impatient.create(sent)
        assert harness.faults.pending() == 0  # the POST was made, and its answer lost
        await asyncio.sleep(1)  # the held answer is released meanwhile
        upstream_id = await impatient.create(sent)
        assert (await impatient.get(upstream_id)).reference == sent.reference
        assert await impatient.create(sent) == upstream_id  # one ticket, not two
    finally:
        await impatient.aclose()


@pytest.mark.parametrize(
    "path",
    [
        ("in_progress", "awaiting_information", "in_progress", "resolved", "closed"),
        ("assigned", "pending", "rejected"),
        ("in_progress", "resolved", "reopened"),
    ],
)
async def test_update_status(
    harness: Harness, backend: TicketBackend, path: tuple[Status, ...]
) -> None:
    upstream_id = await backend.create(payload())

    for status in path:
        await backend.update_status(upstream_id, status)
        assert (await backend.get(upstream_id)).status == harness.reads_back.get(status, status)


async def test_comment_reaches_the_tool(harness: Harness, backend: TicketBackend) -> None:
    upstream_id = await backend.create(payload())
    since = (await backend.get(upstream_id)).updated_at
    await asyncio.sleep(CLOCK_TICK)

    await backend.comment(upstream_id, "Merci, je réessaie demain.", author="Marie Dupont")

    agent = harness.backend("agent")
    try:
        seen = [c for c in await agent.changes_since(since) if c.upstream_id == upstream_id]
    finally:
        await agent.aclose()
    # (Request Tracker also opens a new ticket on a reply: a status change may come with it.)
    comments = [c.comment for c in seen if c.kind == "comment"]
    assert len(comments) == 1
    assert comments[0] is not None
    assert "Merci, je réessaie demain." in comments[0]
    assert "Marie Dupont" in comments[0]


async def test_changes_since_reports_what_agents_did_upstream(
    harness: Harness, backend: TicketBackend
) -> None:
    upstream_id = await backend.create(payload())
    untouched = await backend.create(payload())
    since = (await backend.get(upstream_id)).updated_at
    await asyncio.sleep(CLOCK_TICK)

    await backend.update_status(upstream_id, "in_progress")  # Guichet's own change: not echoed
    agent = harness.backend("agent")
    try:
        await harness.assign(upstream_id)
        await agent.comment(upstream_id, "Profile VPN mis à jour, pouvez-vous réessayer ?")
        await agent.update_status(upstream_id, "resolved")
    finally:
        await agent.aclose()

    changes = await backend.changes_since(since)

    ours = [c for c in changes if c.upstream_id == upstream_id]
    assert not [c for c in changes if c.upstream_id == untouched]
    assert [c.at for c in changes] == sorted(c.at for c in changes)
    assert {c.kind for c in ours} == {"assignee", "status", "comment"}
    assert [c.status for c in ours if c.kind == "status"] == ["resolved"]
    assert [c.assignee for c in ours if c.kind == "assignee"] == [harness.agent]
    comment = next(c.comment for c in ours if c.kind == "comment")
    assert comment is not None
    assert "Profile VPN mis à jour" in comment
    assert all(c.at > since for c in ours)

    later = max(c.at for c in ours)
    assert not [c for c in await backend.changes_since(later) if c.upstream_id == upstream_id]


async def test_wrong_credentials_are_rejected(harness: Harness, backend: TicketBackend) -> None:
    upstream_id = await backend.create(payload())
    intruder = harness.backend("wrong")
    try:
        with pytest.raises(BackendRejected) as raised:
            await intruder.get(upstream_id)
    finally:
        await intruder.aclose()
    assert not raised.value.retryable
    assert "401" in str(raised.value)


async def test_unknown_ticket_is_not_found(harness: Harness, backend: TicketBackend) -> None:
    with pytest.raises(UpstreamNotFound):
        await backend.get(harness.missing_id)
    with pytest.raises(UpstreamNotFound):
        await backend.update_status(harness.missing_id, "resolved")
    with pytest.raises(UpstreamNotFound):
        await backend.comment(harness.missing_id, "hello")


async def test_conflict(harness: Harness, backend: TicketBackend) -> None:
    upstream_id = await backend.create(payload())
    harness.faults.fail_next(409)

    with pytest.raises(UpstreamConflict) as raised:
        await backend.update_status(upstream_id, "resolved")
    assert not raised.value.retryable


async def test_rate_limited_with_retry_after(harness: Harness, backend: TicketBackend) -> None:
    harness.faults.fail_next(429, retry_after="7")

    with pytest.raises(BackendUnavailable) as raised:
        await backend.create(payload())
    assert raised.value.retryable
    assert raised.value.retry_after == 7


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors_are_retryable(
    harness: Harness, backend: TicketBackend, status: int
) -> None:
    upstream_id = await backend.create(payload())
    harness.faults.fail_next(status)

    with pytest.raises(BackendUnavailable) as raised:
        await backend.get(upstream_id)
    assert raised.value.retryable
    assert raised.value.retry_after is None
    assert (await backend.get(upstream_id)).upstream_id == upstream_id  # and then it works


async def test_a_hanging_server_times_out(harness: Harness) -> None:
    impatient = harness.backend(timeout=harness.patience)
    try:
        await impatient.changes_since(time_zero())  # signed in
        harness.faults.hang_next(4 * harness.patience)
        started = time.monotonic()
        with pytest.raises(BackendUnavailable) as raised:
            await impatient.changes_since(time_zero())
        assert time.monotonic() - started < 3 * harness.patience
        assert "timed out" in str(raised.value)
    finally:
        await impatient.aclose()


async def test_a_server_that_is_down_is_unavailable(harness: Harness) -> None:
    nowhere = harness.backend(url=f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(BackendUnavailable):
            await nowhere.create(payload())
    finally:
        await nowhere.aclose()


def time_zero() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=5)
