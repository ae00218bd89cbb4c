"""ServiceNow incident records (Table API) to Guichet's types and back.

ServiceNow's incident state model: 1 New, 2 In Progress, 3 On Hold (with a hold reason:
1 Awaiting Caller, 3 Awaiting Problem, 4 Awaiting Vendor, 5 Awaiting Change), 6 Resolved,
7 Closed, 8 Canceled. Impact and urgency are 1 (High) to 3 (Low); ServiceNow computes the priority
(1 Critical to 5 Planning) from them, with the same default matrix as Guichet's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.kernel.assets import AssetKind
from bot.kernel.itsm import TicketPayload, UpstreamTicket
from bot.kernel.problems import ProblemPayload, ProblemStatus
from bot.kernel.tickets import Impact, Status, Urgency

AWAITING_CALLER = "1"
AWAITING_VENDOR = "4"
TO_STATE: dict[Status, tuple[str, str]] = {  # (state, hold_reason)
    "new": ("1", ""),
    "assigned": ("2", ""),
    "in_progress": ("2", ""),
    "awaiting_information": ("3", AWAITING_CALLER),
    "pending": ("3", AWAITING_VENDOR),
    "resolved": ("6", ""),
    "closed": ("7", ""),
    "rejected": ("8", ""),
    "reopened": ("2", ""),
}
FROM_STATE: dict[str, Status] = {
    "1": "new",
    "2": "in_progress",
    "3": "pending",
    "6": "resolved",
    "7": "closed",
    "8": "rejected",
}
# The problem state model (Madrid and later): 101 New, 102 Assess, 103 Root Cause Analysis,
# 104 Fix in Progress, 106 Resolved, 107 Closed; a known error is the `known_error` flag.
PROBLEM_STATE: dict[ProblemStatus, str] = {
    "new": "101",
    "under_investigation": "103",
    "known_error": "104",
    "resolved": "106",
    "closed": "107",
}
IMPACT: dict[Impact, str] = {"person": "3", "team": "2", "organisation": "1"}
URGENCY: dict[Urgency, str] = {"low": "3", "high": "2", "critical": "1"}
# ServiceNow's out-of-the-box incident categories.
CATEGORY = {"hardware": "hardware", "software": "software", "network": "network"}
DEFAULT_CATEGORY = "inquiry"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # sys_updated_on, sys_created_on: UTC in the Table API
READ_FIELDS = (
    "sys_id,number,short_description,state,hold_reason,priority,assigned_to,"
    "correlation_id,sys_updated_on,cmdb_ci"
)
INVENTORY = "servicenow"  # the asset inventory that is this instance's CMDB (connectors.assets)


def status(state: str, hold_reason: str = "") -> Status:
    if state == "3" and hold_reason == AWAITING_CALLER:
        return "awaiting_information"
    return FROM_STATE.get(state, "in_progress")


def create_body(
    payload: TicketPayload, *, caller: str | None, assignment_group: str
) -> dict[str, str]:
    state, hold_reason = TO_STATE[payload.status]
    description = payload.description
    if caller is None:  # not a ServiceNow user: keep who asked in the text
        description += f"\n\nRequester: {payload.requester}"
    body = {
        "short_description": payload.title,
        "description": description,
        "impact": IMPACT[payload.impact],
        "urgency": URGENCY[payload.urgency],
        "category": CATEGORY.get(payload.category, DEFAULT_CATEGORY),
        "state": state,
        "correlation_id": payload.reference,
        "correlation_display": "Guichet",
        "contact_type": "self-service",
    }
    if hold_reason:
        body["hold_reason"] = hold_reason
    if caller is not None:
        body["caller_id"] = caller
    if assignment_group:
        body["assignment_group"] = assignment_group
    asset = payload.asset
    if asset is not None and asset.inventory == INVENTORY and asset.kind != AssetKind.LICENCE:
        body["cmdb_ci"] = asset.upstream_id  # the configuration item the incident is about
    return body


def status_body(status: Status) -> dict[str, str]:
    state, hold_reason = TO_STATE[status]
    body = {"state": state, "hold_reason": hold_reason}
    if state == "6":  # the incident form's data policy asks for both when resolving
        body |= {"close_code": "Solved (Permanently)", "close_notes": "Resolved through Guichet"}
    return body


def sn_datetime(value: str) -> datetime:
    return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)


def sn_query_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def _value(field: Any) -> str:
    """A field read with `sysparm_display_value=all`: `{"value": ..., "display_value": ...}`."""
    return str(field.get("value") or "") if isinstance(field, dict) else str(field or "")


def _display(field: Any) -> str:
    return str(field.get("display_value") or "") if isinstance(field, dict) else str(field or "")


def to_ticket(record: dict[str, Any]) -> UpstreamTicket:
    priority = _value(record.get("priority"))
    return UpstreamTicket(
        upstream_id=_value(record["sys_id"]),
        reference=_value(record.get("correlation_id")) or None,
        title=_value(record.get("short_description")),
        status=status(_value(record.get("state")), _value(record.get("hold_reason"))),
        priority=f"P{priority}" if priority in ("1", "2", "3", "4", "5") else None,
        assignee=_display(record.get("assigned_to")) or None,
        updated_at=sn_datetime(_value(record["sys_updated_on"])),
        assets=(ci,) if (ci := _value(record.get("cmdb_ci"))) else (),
    )


def problem_body(payload: ProblemPayload, *, creating: bool = False) -> dict[str, str]:
    """A `problem` record's fields; `correlation_id` (Guichet's reference) on creation."""
    body = {
        "short_description": payload.title[:160],
        "description": payload.description,
        "state": PROBLEM_STATE[payload.status],
        "cause_notes": payload.root_cause,
        "workaround": payload.workaround,
        "known_error": "true" if payload.status == "known_error" else "false",
    }
    if creating:
        body |= {"correlation_id": payload.reference, "correlation_display": "Guichet"}
    return body
