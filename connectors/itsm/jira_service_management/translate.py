"""Jira Service Management requests and Jira issues to Guichet's types and back.

Statuses are the names of the project's workflow (settings map Guichet's to them); a status is
reached through a transition. Guichet marks its requests with two labels: `guichet`, and
`guichet-<reference>` (its idempotency key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.kernel.itsm import TicketPayload, UpstreamTicket
from bot.kernel.tickets import Status

LABEL = "guichet"
REFERENCE_PREFIX = "guichet-"
TO_PRIORITY = {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low", "P5": "Lowest"}
FROM_PRIORITY = {name: priority for priority, name in TO_PRIORITY.items()}
JQL_TIME_FORMAT = "%Y/%m/%d %H:%M"  # minutes, in the API user's timezone
ISSUE_FIELDS = "summary,status,assignee,priority,labels,updated"


def reference_label(reference: str) -> str:
    return f"{REFERENCE_PREFIX}{reference}"


def jira_datetime(value: str) -> datetime:
    """Jira writes `2026-11-23T10:00:00.000+0000`."""
    return datetime.fromisoformat(value)


def jql_datetime(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime(JQL_TIME_FORMAT)


def jql_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_status(name: str, statuses: dict[Status, str]) -> Status:
    """The first Guichet status mapped to this workflow status (the settings' order)."""
    for status, workflow_name in statuses.items():
        if workflow_name.casefold() == name.casefold():
            return status
    return "in_progress"


def create_body(
    payload: TicketPayload, *, service_desk_id: str, request_type_id: str
) -> dict[str, Any]:
    return {
        "serviceDeskId": service_desk_id,
        "requestTypeId": request_type_id,
        "raiseOnBehalfOf": payload.requester,
        "requestFieldValues": {
            "summary": payload.title,
            "description": payload.description,
            "labels": [LABEL, reference_label(payload.reference)],
            "priority": {"name": TO_PRIORITY.get(payload.priority, "Medium")},
        },
    }


def to_ticket(issue: dict[str, Any], statuses: dict[Status, str]) -> UpstreamTicket:
    fields = issue.get("fields") or {}
    labels = [str(label) for label in fields.get("labels") or []]
    references = [
        label[len(REFERENCE_PREFIX) :] for label in labels if label.startswith(REFERENCE_PREFIX)
    ]
    assignee = fields.get("assignee") or {}
    priority = (fields.get("priority") or {}).get("name")
    return UpstreamTicket(
        upstream_id=str(issue["key"]),
        reference=references[0] if references else None,
        title=str(fields.get("summary") or ""),
        status=from_status(str((fields.get("status") or {}).get("name", "")), statuses),
        priority=FROM_PRIORITY.get(str(priority)),
        assignee=assignee.get("displayName"),
        updated_at=jira_datetime(str(fields["updated"])),
    )
