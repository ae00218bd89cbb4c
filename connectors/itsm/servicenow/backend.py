"""`TicketBackend` for ServiceNow incidents through the Table API (`/api/now/table/`).

Changes made upstream are read from the audit (`sys_audit`: state, hold reason, assignee) and
from the journal (`sys_journal_field`: additional comments, which the caller sees; work notes
are internal and not reported).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.kernel.itsm import TicketPayload, UpstreamChange, UpstreamNotFound, UpstreamTicket
from bot.kernel.problems import ProblemPayload
from bot.kernel.tickets import Status
from bot.settings.itsm import ServiceNowSettings, require
from connectors.itsm.common import as_utc, comment_text
from connectors.itsm.http import HttpApi
from connectors.itsm.servicenow import translate

INCIDENTS = "api/now/table/incident"
PROBLEMS = "api/now/table/problem"
PAGE_SIZE = 100
# Encoded queries read dates in the API user's timezone: ask for a day more, keep what is after.
TIMEZONE_MARGIN = timedelta(days=1)
SYS_ID_LENGTH = 32


def _incident(sys_id: str) -> str:
    if len(sys_id) != SYS_ID_LENGTH or not sys_id.isalnum():
        raise UpstreamNotFound(
            backend=ServiceNowBackend.name, problem=f"{sys_id!r} is not a sys_id"
        )
    return f"{INCIDENTS}/{sys_id}"


def _problem(sys_id: str) -> str:
    return _incident(sys_id).replace(INCIDENTS, PROBLEMS)


class ServiceNowBackend:
    name = "servicenow"

    def __init__(self, settings: ServiceNowSettings, *, timeout: float) -> None:
        base_url = require(settings.base_url, "servicenow__base_url")
        self._user = require(settings.username, "servicenow__username")
        self._api = HttpApi(
            self.name,
            base_url,
            timeout=timeout,
            auth=httpx.BasicAuth(self._user, settings.password.get_secret_value()),
        )
        self._assignment_group = settings.assignment_group
        self._user_names: dict[str, str] = {}

    async def _records(self, table: str, query: str, fields: str) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        while True:
            found = await self._api.json(
                "GET",
                f"api/now/table/{table}",
                params={
                    "sysparm_query": query,
                    "sysparm_fields": fields,
                    "sysparm_limit": PAGE_SIZE,
                    "sysparm_offset": len(records),
                    "sysparm_exclude_reference_link": "true",
                },
            )
            page = found.get("result") or []
            records.extend(page)
            if len(page) < PAGE_SIZE:
                return records

    async def create(self, payload: TicketPayload) -> str:
        existing = await self._api.json(
            "GET",
            INCIDENTS,
            params={
                "sysparm_query": f"correlation_id={payload.reference}^ORDERBYsys_created_on",
                "sysparm_fields": "sys_id",
                "sysparm_limit": 1,
            },
        )
        if existing.get("result"):
            return str(existing["result"][0]["sys_id"])
        callers = await self._api.json(
            "GET",
            "api/now/table/sys_user",
            params={
                "sysparm_query": f"email={payload.requester}",
                "sysparm_fields": "sys_id",
                "sysparm_limit": 1,
            },
        )
        caller = str(callers["result"][0]["sys_id"]) if callers.get("result") else None
        created = await self._api.json(
            "POST",
            INCIDENTS,
            json_body=translate.create_body(
                payload, caller=caller, assignment_group=self._assignment_group
            ),
        )
        return str(created["result"]["sys_id"])

    async def get(self, upstream_id: str) -> UpstreamTicket:
        found = await self._api.json(
            "GET",
            _incident(upstream_id),
            params={
                "sysparm_fields": translate.READ_FIELDS,
                "sysparm_display_value": "all",
                "sysparm_exclude_reference_link": "true",
            },
        )
        return translate.to_ticket(found["result"])

    async def update_status(self, upstream_id: str, status: Status) -> None:
        await self._api.json(
            "PATCH", _incident(upstream_id), json_body=translate.status_body(status)
        )

    async def comment(self, upstream_id: str, text: str, *, author: str | None = None) -> None:
        # "comments" is the journal the caller sees; "work_notes" would stay internal.
        await self._api.json(
            "PATCH", _incident(upstream_id), json_body={"comments": comment_text(text, author)}
        )

    async def changes_since(self, since: datetime) -> list[UpstreamChange]:
        since = as_utc(since)
        after = translate.sn_query_datetime(since - TIMEZONE_MARGIN)
        audits = await self._records(
            "sys_audit",
            f"tablename=incident^fieldnameINstate,hold_reason,assigned_to"
            f"^sys_created_on>{after}^user!={self._user}^ORDERBYsys_created_on",
            "documentkey,fieldname,newvalue,user,sys_created_on",
        )
        comments = await self._records(
            "sys_journal_field",
            f"name=incident^element=comments^sys_created_on>{after}"
            f"^sys_created_by!={self._user}^ORDERBYsys_created_on",
            "element_id,value,sys_created_by,sys_created_on",
        )
        changes = [*await self._audit_changes(audits, since), *self._comments(comments, since)]
        return sorted(changes, key=lambda change: change.at)

    async def _audit_changes(
        self, audits: list[dict[str, Any]], since: datetime
    ) -> list[UpstreamChange]:
        hold_reasons = {
            (a["documentkey"], a["sys_created_on"]): str(a["newvalue"])
            for a in audits
            if a["fieldname"] == "hold_reason"
        }
        changes: list[UpstreamChange] = []
        for audit in audits:
            at = translate.sn_datetime(audit["sys_created_on"])
            if at <= since or audit["fieldname"] == "hold_reason":
                continue
            base = {"upstream_id": str(audit["documentkey"]), "at": at, "author": audit["user"]}
            if audit["fieldname"] == "state":
                reason = hold_reasons.get((audit["documentkey"], audit["sys_created_on"]), "")
                status = translate.status(str(audit["newvalue"]), reason)
                changes.append(UpstreamChange(kind="status", status=status, **base))
            else:
                assignee = await self._user_name(str(audit["newvalue"] or ""))
                changes.append(UpstreamChange(kind="assignee", assignee=assignee, **base))
        return changes

    def _comments(self, entries: list[dict[str, Any]], since: datetime) -> list[UpstreamChange]:
        return [
            UpstreamChange(
                upstream_id=str(entry["element_id"]),
                at=translate.sn_datetime(entry["sys_created_on"]),
                kind="comment",
                comment=str(entry["value"]),
                author=str(entry["sys_created_by"]),
            )
            for entry in entries
            if translate.sn_datetime(entry["sys_created_on"]) > since
        ]

    async def _user_name(self, sys_id: str) -> str | None:
        if not sys_id:
            return None
        if sys_id not in self._user_names:
            found = await self._api.json(
                "GET", f"api/now/table/sys_user/{sys_id}", params={"sysparm_fields": "name"}
            )
            self._user_names[sys_id] = str(found["result"].get("name") or sys_id)
        return self._user_names[sys_id]

    # -- problems (the `problem` table; an incident points at its problem with `problem_id`) ---

    async def create_problem(self, payload: ProblemPayload) -> str:
        existing = await self._api.json(
            "GET",
            PROBLEMS,
            params={
                "sysparm_query": f"correlation_id={payload.reference}^ORDERBYsys_created_on",
                "sysparm_fields": "sys_id",
                "sysparm_limit": 1,
            },
        )
        if existing.get("result"):
            return str(existing["result"][0]["sys_id"])
        created = await self._api.json(
            "POST", PROBLEMS, json_body=translate.problem_body(payload, creating=True)
        )
        return str(created["result"]["sys_id"])

    async def update_problem(self, upstream_id: str, payload: ProblemPayload) -> None:
        await self._api.json(
            "PATCH", _problem(upstream_id), json_body=translate.problem_body(payload)
        )

    async def link_incident(self, problem_id: str, incident_id: str) -> None:
        await self._api.json("PATCH", _incident(incident_id), json_body={"problem_id": problem_id})

    async def unlink_incident(self, problem_id: str, incident_id: str) -> None:
        found = await self._api.json(
            "GET", _incident(incident_id), params={"sysparm_fields": "problem_id"}
        )
        linked = found["result"].get("problem_id")
        if isinstance(linked, dict):
            linked = linked.get("value")
        if linked == problem_id:  # linked to another problem since: leave it
            await self._api.json("PATCH", _incident(incident_id), json_body={"problem_id": ""})

    async def aclose(self) -> None:
        await self._api.aclose()
