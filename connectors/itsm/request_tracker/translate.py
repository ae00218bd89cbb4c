"""Request Tracker's REST2 payloads to Guichet's types and back.

RT's default lifecycle has fewer states than Guichet's ITIL one (new, open, stalled, resolved,
rejected, deleted), so Guichet also keeps its own status in the `GuichetStatus` custom field: when
that field still agrees with RT's status it gives the finer state, otherwise (an agent changed the
status in RT) RT's status is read through `FROM_RT`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.kernel.itsm import TicketPayload, UpstreamChange, UpstreamTicket
from bot.kernel.tickets import Status

REFERENCE_FIELD = "GuichetReference"
STATUS_FIELD = "GuichetStatus"

TO_RT: dict[Status, str] = {
    "new": "new",
    "assigned": "open",
    "in_progress": "open",
    "awaiting_information": "stalled",
    "pending": "stalled",
    "resolved": "resolved",
    "closed": "resolved",
    "rejected": "rejected",
    "reopened": "open",
}
FROM_RT: dict[str, Status] = {
    "new": "new",
    "open": "in_progress",
    "stalled": "pending",
    "resolved": "resolved",
    "rejected": "rejected",
    "deleted": "rejected",
}
# RT priorities are numbers (0-100 by default); Guichet's P1 is the most urgent.
PRIORITY_TO_RT = {"P1": 100, "P2": 75, "P3": 50, "P4": 25, "P5": 0}
NOBODY = "Nobody"


INVENTORY = "request_tracker"  # the asset inventory that is this RT (connectors.assets)


def create_body(payload: TicketPayload, queue: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Queue": queue,
        "Subject": f"[{payload.reference}] {payload.title}",
        "Requestor": payload.requester,
        "Content": payload.description,
        "ContentType": "text/plain",
        "Status": TO_RT[payload.status],
        "Priority": PRIORITY_TO_RT.get(payload.priority, 50),
        "CustomFields": {
            REFERENCE_FIELD: payload.reference,
            STATUS_FIELD: payload.status,
            "Category": payload.category,
            "Impact": payload.impact,
            "Urgency": payload.urgency,
        },
    }
    if payload.asset is not None and payload.asset.inventory == INVENTORY:
        body["RefersTo"] = f"asset:{payload.asset.upstream_id}"  # RT's link to one of its assets
    return body


def status_body(status: Status) -> dict[str, Any]:
    return {"Status": TO_RT[status], "CustomFields": {STATUS_FIELD: status}}


def rt_datetime(value: str) -> datetime:
    """RT writes `2026-11-23T09:34:55Z`."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def rt_query_datetime(value: datetime) -> str:
    """TicketSQL/TransactionSQL dates: `YYYY-MM-DD HH:MM:SS`, read in the RT user's timezone."""
    return value.strftime("%Y-%m-%d %H:%M:%S")


def guichet_status(rt_status: str, recorded: str | None) -> Status:
    for status, in_rt in TO_RT.items():
        if status == recorded and in_rt == rt_status:
            return status
    return FROM_RT.get(rt_status, "in_progress")


def _custom_field(data: dict[str, Any], name: str) -> str | None:
    for field in data.get("CustomFields") or []:
        if field.get("name") == name:
            values = field.get("values") or []
            return str(values[0]) if values else None
    return None


def _priority(value: object) -> str | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return min(PRIORITY_TO_RT, key=lambda p: abs(PRIORITY_TO_RT[p] - number))


def _title(subject: str, reference: str | None) -> str:
    prefix = f"[{reference}] "
    return subject[len(prefix) :] if reference and subject.startswith(prefix) else subject


def to_ticket(data: dict[str, Any]) -> UpstreamTicket:
    reference = _custom_field(data, REFERENCE_FIELD)
    owner = (data.get("Owner") or {}).get("id")
    return UpstreamTicket(
        upstream_id=str(data["id"]),
        reference=reference,
        title=_title(str(data.get("Subject") or ""), reference),
        status=guichet_status(str(data["Status"]), _custom_field(data, STATUS_FIELD)),
        priority=_priority(data.get("Priority")),
        assignee=None if owner in (None, NOBODY) else str(owner),
        updated_at=rt_datetime(str(data["LastUpdated"])),
        assets=tuple(
            str(link["id"])
            for link in data.get("_hyperlinks") or []
            if link.get("ref") == "refers-to" and link.get("type") == "asset"
        ),
    )


def status_change(item: dict[str, Any]) -> UpstreamChange:
    return UpstreamChange(
        upstream_id=str(item["ObjectId"]),
        at=rt_datetime(str(item["Created"])),
        kind="status",
        status=FROM_RT.get(str(item["NewValue"]), "in_progress"),
        author=str((item.get("Creator") or {}).get("id") or "") or None,
    )
