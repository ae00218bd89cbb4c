"""GLPI Ticket items (REST `apirest.php`) to Guichet's types and back.

GLPI's ticket status: 1 New, 2 Processing (assigned), 3 Processing (planned), 4 Pending,
5 Solved, 6 Closed. Urgency and impact: 1 Very low to 5 Very high; priority 1 to 6 (Major).
Ticket type: 1 Incident, 2 Request. GLPI writes dates in its own timezone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.kernel.itsm import TicketPayload, UpstreamTicket
from bot.kernel.problems import ProblemPayload, ProblemStatus
from bot.kernel.tickets import Impact, Status, Urgency

TO_STATUS: dict[Status, int] = {
    "new": 1,
    "assigned": 2,
    "in_progress": 2,
    "awaiting_information": 4,
    "pending": 4,
    "resolved": 5,
    "closed": 6,
    "rejected": 6,
    "reopened": 2,
}
FROM_STATUS: dict[int, Status] = {
    1: "new",
    2: "in_progress",
    3: "in_progress",
    4: "pending",
    5: "resolved",
    6: "closed",
}
STATUS_LABELS = {  # what the history shows when it logs a label rather than the number
    "New": 1,
    "Processing (assigned)": 2,
    "Processing (planned)": 3,
    "Pending": 4,
    "Solved": 5,
    "Closed": 6,
}
URGENCY: dict[Urgency, int] = {"low": 2, "high": 4, "critical": 5}
IMPACT: dict[Impact, int] = {"person": 2, "team": 3, "organisation": 5}
TO_PRIORITY = {"P1": 5, "P2": 4, "P3": 3, "P4": 2, "P5": 1}
FROM_PRIORITY = {6: "P1", 5: "P1", 4: "P2", 3: "P3", 2: "P4", 1: "P5"}
TYPE = {"incident": 1, "request": 2}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Search options (listSearchOptions/Ticket) used in searches and in the history.
OPTION_ID, OPTION_STATUS, OPTION_DATE_MOD, OPTION_TECHNICIAN = 2, 12, 19, 5


def create_input(payload: TicketPayload) -> dict[str, Any]:
    return {
        "name": payload.title,
        "content": f"{payload.description}\n\nRequester: {payload.requester}",
        "type": TYPE[payload.kind],
        "status": TO_STATUS[payload.status],
        "urgency": URGENCY[payload.urgency],
        "impact": IMPACT[payload.impact],
        "priority": TO_PRIORITY.get(payload.priority, 3),
        "externalid": payload.reference,
    }


INVENTORY = "glpi"  # the asset inventory that is this GLPI (connectors.assets)


def item_link(payload: TicketPayload, ticket_id: int) -> dict[str, Any] | None:
    """The Item_Ticket linking the ticket to its asset ("Computer/12"), when GLPI holds it."""
    asset = payload.asset
    if asset is None or asset.inventory != INVENTORY:
        return None
    itemtype, _, item_id = asset.upstream_id.partition("/")
    if not item_id.isdigit():
        return None
    return {"itemtype": itemtype, "items_id": int(item_id), "tickets_id": ticket_id}


def glpi_datetime(value: str, zone: ZoneInfo) -> datetime:
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=zone)


def glpi_query_datetime(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(TIME_FORMAT)


def status(value: object) -> Status:
    text = str(value).strip()
    number = int(text) if text.isdigit() else STATUS_LABELS.get(text, 2)
    return FROM_STATUS.get(number, "in_progress")


def user_name(logged: str) -> str | None:
    """History and dropdowns show users as `name (id)`."""
    name = logged.rsplit(" (", 1)[0].strip()
    return name or None


def to_ticket(item: dict[str, Any], zone: ZoneInfo) -> UpstreamTicket:
    return UpstreamTicket(
        upstream_id=str(item["id"]),
        reference=item.get("externalid") or None,
        title=str(item.get("name") or ""),
        status=status(item.get("status", 1)),
        priority=FROM_PRIORITY.get(int(item.get("priority") or 3)),
        assignee=None,  # technicians are Ticket_User links, not a field of the ticket
        updated_at=glpi_datetime(str(item["date_mod"]), zone),
    )


# GLPI's problem statuses: 1 New, 2 Processing (assigned), 3 Processing (planned), 4 Pending,
# 5 Solved, 6 Closed, 7 Accepted, 8 Under observation. A known error is "Accepted": the
# problem is acknowledged and has a workaround. GLPI has no workaround field: it is written
# into the content, under its own heading.
PROBLEM_STATUS: dict[ProblemStatus, int] = {
    "new": 1,
    "under_investigation": 2,
    "known_error": 7,
    "resolved": 5,
    "closed": 6,
}


def problem_tag(reference: str) -> str:
    return f"[{reference}]"


def problem_input(payload: ProblemPayload) -> dict[str, object]:
    content = payload.description
    if payload.workaround:
        content += f"\n\nWorkaround:\n{payload.workaround}"
    return {
        "name": f"{problem_tag(payload.reference)} {payload.title}"[:255],
        "content": content,
        "status": PROBLEM_STATUS[payload.status],
        "causecontent": payload.root_cause,
        "symptomcontent": payload.description,
    }
