"""`ChangeCalendar` for ServiceNow: change requests (`change_request` table) with a planned
window (`start_date`, `end_date`), the CI (`cmdb_ci`) or business service they affect."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.kernel.changes import ChangeState, PlannedChange
from bot.settings.itsm import ServiceNowSettings, require
from connectors.itsm.common import as_utc
from connectors.itsm.http import HttpApi
from connectors.itsm.servicenow import translate

CHANGES = "api/now/table/change_request"
FIELDS = (
    "sys_id,number,short_description,start_date,end_date,state,approval,cmdb_ci,business_service"
)
PAGE_SIZE = 100
TIMEZONE_MARGIN = timedelta(days=1)
# change_request.state: -5 New, -4 Assess, -3 Authorize, -2 Scheduled, -1 Implement, 0 Review,
# 3 Closed, 4 Canceled.
STATES: dict[str, ChangeState] = {
    "-5": "requested", "-4": "requested", "-3": "requested", "-2": "scheduled",
    "-1": "implementing", "0": "review", "3": "closed", "4": "cancelled",
}  # fmt: skip


def _value(field: Any) -> str:
    return str(field.get("value") or "") if isinstance(field, dict) else str(field or "")


def _display(field: Any) -> str:
    return str(field.get("display_value") or "") if isinstance(field, dict) else ""


def to_change(record: dict[str, Any], base_url: str) -> PlannedChange | None:
    """A change request read with `sysparm_display_value=all`; None without a planned window."""
    start, end = _value(record.get("start_date")), _value(record.get("end_date"))
    if not start or not end:
        return None
    state = STATES.get(_value(record.get("state")), "requested")
    if state == "requested" and _value(record.get("approval")) == "approved":
        state = "approved"
    sys_id = _value(record.get("sys_id"))
    service = _display(record.get("cmdb_ci")) or _display(record.get("business_service"))
    return PlannedChange(
        source="servicenow",
        upstream_id=sys_id,
        reference=_value(record.get("number"))[:64],
        title=_value(record.get("short_description"))[:200] or _value(record.get("number")),
        service=service[:200] or None,
        starts_at=translate.sn_datetime(start),
        ends_at=translate.sn_datetime(end),
        state=state,
        url=f"{base_url.rstrip('/')}/change_request.do?sys_id={sys_id}",
    )


class ServiceNowChangeCalendar:
    name = "servicenow"

    def __init__(self, settings: ServiceNowSettings, *, timeout: float) -> None:
        self._base_url = require(settings.base_url, "servicenow__base_url")
        user = require(settings.username, "servicenow__username")
        self._api = HttpApi(
            self.name,
            self._base_url,
            timeout=timeout,
            auth=httpx.BasicAuth(user, settings.password.get_secret_value()),
        )

    async def planned_changes(self, *, since: datetime) -> list[PlannedChange]:
        since = as_utc(since)
        # Encoded queries read dates in the API user's zone: a day more, then keep what ends after.
        after = translate.sn_query_datetime(since - TIMEZONE_MARGIN)
        records: list[dict[str, Any]] = []
        while True:
            found = await self._api.json(
                "GET",
                CHANGES,
                params={
                    "sysparm_query": f"end_date>{after}^ORDERBYstart_date",
                    "sysparm_fields": FIELDS,
                    "sysparm_display_value": "all",
                    "sysparm_exclude_reference_link": "true",
                    "sysparm_limit": PAGE_SIZE,
                    "sysparm_offset": len(records),
                },
            )
            page = found.get("result") or []
            records.extend(page)
            if len(page) < PAGE_SIZE:
                break
        changes = (to_change(record, self._base_url) for record in records)
        return [c for c in changes if c is not None and c.ends_at > since]

    async def aclose(self) -> None:
        await self._api.aclose()
