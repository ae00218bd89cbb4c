"""`ChangeCalendar` for Jira Service Management: issues of the Change type, their planned
window in the change management fields ("Planned start" and "Planned end", formerly "Change
start date" and "Change end date"; custom fields whose ids are found by name through
`/rest/api/3/field`), the service from "Affected services" (else the components)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.kernel.changes import ChangeState, PlannedChange
from bot.kernel.itsm import BackendRejected
from bot.settings.itsm import JiraServiceManagementSettings, require
from connectors.itsm.common import as_utc
from connectors.itsm.http import HttpApi
from connectors.itsm.jira_service_management import translate

PAGE_SIZE = 100
START_NAMES = ("Planned start", "Change start date")
END_NAMES = ("Planned end", "Change end date")
SERVICE_NAMES = ("Affected services",)
# The default change workflow's statuses; others fall back on their status category.
STATES: dict[str, ChangeState] = {
    "open": "requested", "planning": "requested", "awaiting cab approval": "requested",
    "authorize": "requested", "awaiting approval": "requested",
    "awaiting implementation": "scheduled", "scheduled": "scheduled",
    "implementing": "implementing", "in progress": "implementing",
    "peer review": "review", "review": "review", "completed": "closed", "closed": "closed",
    "canceled": "cancelled", "cancelled": "cancelled", "declined": "cancelled",
    "failed": "closed",
}  # fmt: skip
CATEGORIES: dict[str, ChangeState] = {"new": "requested", "indeterminate": "scheduled"}


def _state(status: dict[str, Any]) -> ChangeState:
    name = str(status.get("name") or "").casefold()
    if name in STATES:
        return STATES[name]
    category = str((status.get("statusCategory") or {}).get("key") or "")
    return CATEGORIES.get(category, "closed")


def _service(fields: dict[str, Any], service_field: str | None) -> str | None:
    named = fields.get(service_field) if service_field else None
    if not named:
        named = fields.get("components")
    if isinstance(named, list):
        names = [str(v.get("name") or v.get("value") or "") for v in named if isinstance(v, dict)]
        return ", ".join(n for n in names if n)[:200] or None
    return None


class JiraServiceManagementChangeCalendar:
    name = "jira_service_management"

    def __init__(self, settings: JiraServiceManagementSettings, *, timeout: float) -> None:
        self._base_url = require(settings.base_url, "jira_service_management__base_url")
        email = require(settings.email, "jira_service_management__email")
        self._project = require(settings.project_key, "jira_service_management__project_key")
        self._zone = ZoneInfo(settings.timezone)
        self._api = HttpApi(
            self.name,
            self._base_url,
            timeout=timeout,
            auth=httpx.BasicAuth(email, settings.api_token.get_secret_value()),
        )
        self._fields: tuple[str, str, str | None] | None = None

    async def _field_ids(self) -> tuple[str, str, str | None]:
        """The ids of the planned start, planned end and affected services fields."""
        if self._fields is None:
            every = await self._api.json("GET", "rest/api/3/field")
            by_name = {str(f.get("name")): str(f.get("id")) for f in every or []}
            start = next((by_name[n] for n in START_NAMES if n in by_name), None)
            end = next((by_name[n] for n in END_NAMES if n in by_name), None)
            if start is None or end is None:
                raise BackendRejected(
                    backend=self.name,
                    problem="no change management date fields (Planned start / Planned end): "
                    "is change management enabled on the project?",
                )
            service = next((by_name[n] for n in SERVICE_NAMES if n in by_name), None)
            self._fields = (start, end, service)
        return self._fields

    async def planned_changes(self, *, since: datetime) -> list[PlannedChange]:
        since = as_utc(since)
        start, end, service = await self._field_ids()
        number = end.removeprefix("customfield_")
        jql = (
            f"project = {translate.jql_string(self._project)} AND issuetype = Change"
            f' AND cf[{number}] >= "{translate.jql_datetime(since, self._zone)}"'
            f" ORDER BY cf[{number}] ASC"
        )
        wanted = ",".join(f for f in ("summary", "status", "components", start, end, service) if f)
        issues: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params = {"jql": jql, "fields": wanted, "maxResults": PAGE_SIZE}
            if token:
                params["nextPageToken"] = token
            found = await self._api.json("GET", "rest/api/3/search/jql", params=params)
            issues += found.get("issues") or []
            token = found.get("nextPageToken")
            if not token or found.get("isLast", True):
                break
        changes = []
        for issue in issues:
            fields = issue.get("fields") or {}
            if not fields.get(start) or not fields.get(end):
                continue
            change = PlannedChange(
                source=self.name,
                upstream_id=str(issue["id"]),
                reference=str(issue["key"]),
                title=str(fields.get("summary") or issue["key"])[:200],
                service=_service(fields, service),
                starts_at=as_utc(translate.jira_datetime(str(fields[start]))),
                ends_at=as_utc(translate.jira_datetime(str(fields[end]))),
                state=_state(fields.get("status") or {}),
                url=f"{self._base_url.rstrip('/')}/browse/{issue['key']}",
            )
            if change.ends_at > since:
                changes.append(change)
        return changes

    async def aclose(self) -> None:
        await self._api.aclose()
