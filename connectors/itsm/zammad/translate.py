"""Zammad tickets, articles and history to Guichet's types and back.

Zammad's default states: new, open, pending reminder, pending close, closed (and merged). Its
priorities: "1 low", "2 normal", "3 high". Pending states need a `pending_time`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.kernel.itsm import TicketPayload, UpstreamTicket
from bot.kernel.tickets import Status

TO_STATE: dict[Status, str] = {
    "new": "new",
    "assigned": "open",
    "in_progress": "open",
    "awaiting_information": "pending reminder",
    "pending": "pending reminder",
    "resolved": "pending close",  # closes by itself unless the customer answers
    "closed": "closed",
    "rejected": "closed",
    "reopened": "open",
}
FROM_STATE: dict[str, Status] = {
    "new": "new",
    "open": "in_progress",
    "pending reminder": "pending",
    "pending close": "resolved",
    "closed": "closed",
    "merged": "closed",
}
PENDING_FOR = {"pending reminder": timedelta(days=3), "pending close": timedelta(days=7)}
TO_PRIORITY = {"P1": "3 high", "P2": "3 high", "P3": "2 normal", "P4": "1 low", "P5": "1 low"}
FROM_PRIORITY = {"3 high": "P2", "2 normal": "P3", "1 low": "P4"}
NOBODY = "-"  # Zammad's user 1, the owner of unassigned tickets


def zammad_datetime(value: str) -> datetime:
    """Zammad writes `2021-11-08T14:17:41.913Z`."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def zammad_query_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_body(status: Status, now: datetime) -> dict[str, Any]:
    state = TO_STATE[status]
    body: dict[str, Any] = {"state": state}
    if state in PENDING_FOR:
        body["pending_time"] = zammad_query_datetime(now + PENDING_FOR[state])
    return body


def create_body(
    payload: TicketPayload, *, group: str, reference_attribute: str, now: datetime
) -> dict[str, Any]:
    return {
        "title": payload.title,
        "group": group,
        "customer_id": f"guess:{payload.requester}",
        "priority": TO_PRIORITY.get(payload.priority, "2 normal"),
        reference_attribute: payload.reference,
        **state_body(payload.status, now),
        "article": {
            "subject": payload.title,
            "body": payload.description,
            "content_type": "text/plain",
            "type": "note",
            "internal": False,
        },
    }


def to_ticket(data: dict[str, Any], reference_attribute: str) -> UpstreamTicket:
    """A ticket read with `expand=true` (state, priority and owner by name)."""
    owner = data.get("owner")
    return UpstreamTicket(
        upstream_id=str(data["id"]),
        reference=data.get(reference_attribute) or None,
        title=str(data.get("title") or ""),
        status=FROM_STATE.get(str(data.get("state")), "in_progress"),
        priority=FROM_PRIORITY.get(str(data.get("priority"))),
        assignee=None if owner in (None, "", NOBODY) else str(owner),
        updated_at=zammad_datetime(str(data["updated_at"])),
    )
