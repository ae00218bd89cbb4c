"""A local Jira Service Management Cloud for the tests: service desk requests and their
comments (`/rest/servicedeskapi/`), issues, transitions, changelog, JQL search, `myself`
and the field list (`/rest/api/3/`), changes with the change management fields (Planned
start, Planned end, Affected services), with Atlassian's JSON and error bodies and basic
auth with API tokens. The workflow is JSM's default IT one; a closed or canceled request can
only be reopened."""

from __future__ import annotations

import base64
import re
import threading
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.faults import FaultMiddleware, Faults

PROJECT, SERVICE_DESK, REQUEST_TYPE = "ITS", "1", "10"
ACCOUNTS = {  # email → (API token, accountId, display name)
    "guichet@norvane.example": ("guichet-api-token", "5b10a2844c20165700ede21g", "Guichet"),
    "agent@norvane.example": ("agent-api-token", "5b10ac8d82e05b22cc7d4ef5", "Alex Agent"),
}
STATUSES = [
    "Waiting for support",
    "In Progress",
    "Waiting for customer",
    "Pending",
    "Resolved",
    "Closed",
    "Canceled",
]
FINAL = {"Closed", "Canceled"}
CLAUSE = re.compile(r'^([\w\[\]]+)\s*(=|>=)\s*"?([^"]*)"?$')
# The change management fields, custom fields whose ids differ from site to site.
PLANNED_START, PLANNED_END, AFFECTED_SERVICES = (
    "customfield_10060",
    "customfield_10061",
    "customfield_10062",
)
CUSTOM_DATETIME = "com.atlassian.jira.plugin.system.customfieldtypes:datetime"
DATETIME = {"type": "datetime", "custom": CUSTOM_DATETIME}
FIELDS = [
    {"id": "summary", "key": "summary", "name": "Summary", "custom": False},
    {"id": "status", "key": "status", "name": "Status", "custom": False},
    {"id": "components", "key": "components", "name": "Components", "custom": False},
    {"id": PLANNED_START, "key": PLANNED_START, "name": "Planned start", "custom": True,
     "schema": DATETIME},
    {"id": PLANNED_END, "key": PLANNED_END, "name": "Planned end", "custom": True,
     "schema": DATETIME},
    {"id": AFFECTED_SERVICES, "key": AFFECTED_SERVICES, "name": "Affected services",
     "custom": True, "schema": {"type": "array", "items": "service-entity-field"}},
]  # fmt: skip
CHANGE_CATEGORIES = {
    "Planning": "new",
    "Awaiting implementation": "indeterminate",
    "Implementing": "indeterminate",
    "Completed": "done",
    "Canceled": "done",
}


def jira_error(status: int) -> object:
    return {"errorMessages": [f"HTTP {status}"], "errors": {}}


def _now() -> datetime:
    return datetime.now(UTC)


def _jira_time(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


class Jira:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.issues: dict[str, dict[str, Any]] = {}

    @staticmethod
    def user(account_id: str) -> dict[str, Any]:
        email, (_, _, name) = next((e, a) for e, a in ACCOUNTS.items() if a[1] == account_id)
        return {"accountId": account_id, "emailAddress": email, "displayName": name}

    def change(self, issue: dict[str, Any], field: str, old: str, new: str, by: str) -> None:
        now = _now()
        issue["changelog"].append(
            {
                "id": str(10000 + sum(len(i["changelog"]) for i in self.issues.values())),
                "author": self.user(by),
                "created": _jira_time(now),
                "items": [
                    {"field": field, "fieldtype": "jira", "fromString": old, "toString": new}
                ],
            }
        )
        issue["updated"] = now

    def assign(self, key: str, account_id: str) -> None:
        with self.lock:
            issue = self.issues[key]
            old = issue["assignee"]
            issue["assignee"] = account_id
            old_name = self.user(old)["displayName"] if old else ""
            self.change(
                issue, "assignee", old_name, self.user(account_id)["displayName"], account_id
            )

    def add_change(
        self, summary: str, start: datetime, end: datetime, *, service: str, status: str
    ) -> str:
        """A Change issue of the project, planned over [start, end]."""
        with self.lock:
            key = f"{PROJECT}-{len(self.issues) + 1}"
            now = _now()
            self.issues[key] = {
                "id": str(10000 + len(self.issues)),
                "key": key,
                "issuetype": "Change",
                "summary": summary,
                "description": "",
                "labels": [],
                "priority": "Medium",
                "status": status,
                "assignee": None,
                "reporter": None,
                "created": now,
                "updated": now,
                "changelog": [],
                "comments": [],
                PLANNED_START: _jira_time(start.astimezone(UTC)),
                PLANNED_END: _jira_time(end.astimezone(UTC)),
                AFFECTED_SERVICES: [{"id": "b5a1c7", "name": service}],
            }
            return key

    def transitions(self, issue: dict[str, Any]) -> list[dict[str, Any]]:
        targets = ["Waiting for support"] if issue["status"] in FINAL else STATUSES
        return [
            {
                "id": str(11 + STATUSES.index(name)),
                "name": f"To {name}",
                "to": {"id": str(1 + STATUSES.index(name)), "name": name},
                "hasScreen": False,
                "isGlobal": True,
            }
            for name in targets
            if name != issue["status"]
        ]

    def fields(self, issue: dict[str, Any], wanted: str) -> dict[str, Any]:
        every = {
            "summary": issue["summary"],
            "description": issue["description"],
            "labels": issue["labels"],
            "status": {
                "name": issue["status"],
                "statusCategory": {"key": CHANGE_CATEGORIES.get(issue["status"], "new")},
            },
            "priority": {"name": issue["priority"]},
            "assignee": self.user(issue["assignee"]) if issue["assignee"] else None,
            "updated": _jira_time(issue["updated"]),
            "components": [],
            **{f: issue[f] for f in (PLANNED_START, PLANNED_END, AFFECTED_SERVICES) if f in issue},
        }
        return {k: v for k, v in every.items() if k in wanted.split(",")}

    def search(self, jql: str) -> list[dict[str, Any]]:
        where = re.split(r"\s+ORDER BY\s+", jql)[0]
        found = list(self.issues.values())
        for clause in where.split(" AND "):
            match = CLAUSE.match(clause.strip())
            if not match:
                raise ValueError(clause)
            field, op, value = match.groups()
            if field == "project":
                found = [i for i in found if i["key"].startswith(value + "-")]
            elif field == "labels":
                found = [i for i in found if value in i["labels"]]
            elif field == "updated" and op == ">=":
                since = datetime.strptime(value, "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
                found = [i for i in found if i["updated"] >= since]
            elif field == "issuetype":
                found = [i for i in found if i.get("issuetype") == value]
            elif field.startswith("cf[") and op == ">=":
                custom = "customfield_" + field[3:-1]
                since = datetime.strptime(value, "%Y/%m/%d %H:%M").replace(tzinfo=UTC)
                found = [
                    i for i in found if custom in i and datetime.fromisoformat(i[custom]) >= since
                ]
            else:
                raise ValueError(clause)
        return sorted(found, key=lambda i: i["updated"])


def jsm_app(faults: Faults) -> tuple[ASGIApp, Jira]:
    jira = Jira()

    def account(request: Request) -> str | None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        email, _, token = base64.b64decode(encoded).decode().partition(":")
        known = ACCOUNTS.get(email)
        return known[1] if known and known[0] == token else None

    def issue_missing() -> JSONResponse:
        message = "Issue does not exist or you do not have permission to see it."
        return JSONResponse({"errorMessages": [message], "errors": {}}, 404)

    async def endpoint(request: Request) -> Response:
        me = account(request)
        if me is None:
            message = "Client must be authenticated to access this resource."
            return JSONResponse({"errorMessages": [message], "errors": {}}, 401)
        # Read the body before taking the lock (cached by Starlette for request.json() below):
        # awaiting the network inside a thread lock blocks every other request of the server.
        await request.body()
        with jira.lock:
            return await route(request, request.url.path.strip("/").split("/"), me)

    async def route(request: Request, parts: list[str], me: str) -> Response:
        params = request.query_params
        if parts[:3] == ["rest", "api", "3"]:
            return await platform(request, parts[3:], me)
        if parts == ["rest", "servicedeskapi", "request"] and request.method == "POST":
            body = await request.json()
            values = body["requestFieldValues"]
            key = f"{PROJECT}-{len(jira.issues) + 1}"
            now = _now()
            jira.issues[key] = {
                "id": str(10000 + len(jira.issues)),
                "key": key,
                "summary": values["summary"],
                "description": values.get("description", ""),
                "labels": list(values.get("labels", [])),
                "priority": values.get("priority", {}).get("name", "Medium"),
                "status": STATUSES[0],
                "assignee": None,
                "reporter": body.get("raiseOnBehalfOf"),
                "created": now,
                "updated": now,
                "changelog": [],
                "comments": [],
            }
            return JSONResponse(
                {
                    "issueId": jira.issues[key]["id"],
                    "issueKey": key,
                    "requestTypeId": body["requestTypeId"],
                    "serviceDeskId": body["serviceDeskId"],
                    "createdDate": {"iso8601": _jira_time(now), "epochMillis": 0},
                    "currentStatus": {"status": STATUSES[0], "statusCategory": "NEW"},
                    "requestFieldValues": [{"fieldId": k, "value": v} for k, v in values.items()],
                },
                201,
            )
        if parts[:3] == ["rest", "servicedeskapi", "request"] and parts[4:] == ["comment"]:
            issue = jira.issues.get(parts[3])
            if issue is None:
                return JSONResponse(
                    {
                        "errorMessage": "The request could not be found.",
                        "i18nErrorMessage": {"i18nKey": "sd.request.not.found", "parameters": []},
                    },
                    404,
                )
            if request.method == "POST":
                body = await request.json()
                now = _now()
                comment = {
                    "id": str(20000 + len(issue["comments"])),
                    "body": body["body"],
                    "public": bool(body.get("public", True)),
                    "author": jira.user(me),
                    "created": {
                        "iso8601": now.strftime("%Y-%m-%dT%H:%M:%S+0000"),
                        "jira": _jira_time(now),
                        "epochMillis": int(now.timestamp() * 1000),
                    },
                }
                issue["comments"].append(comment)
                issue["updated"] = now
                return JSONResponse(comment, 201)
            shown = [
                c
                for c in issue["comments"]
                if (c["public"] and params.get("public") != "false")
                or (not c["public"] and params.get("internal") != "false")
            ]
            start, limit = int(params.get("start", 0)), int(params.get("limit", 50))
            page = shown[start : start + limit]
            return JSONResponse(
                {
                    "size": len(page),
                    "start": start,
                    "limit": limit,
                    "isLastPage": start + limit >= len(shown),
                    "values": page,
                }
            )
        return JSONResponse({"errorMessages": ["Not found"], "errors": {}}, 404)

    async def platform(request: Request, parts: list[str], me: str) -> Response:
        params = request.query_params
        if parts == ["myself"]:
            return JSONResponse(jira.user(me))
        if parts == ["field"]:
            return JSONResponse(FIELDS)
        if parts == ["search", "jql"]:
            found = jira.search(params["jql"])[: int(params.get("maxResults", 50))]
            wanted = params.get("fields", "")
            return JSONResponse(
                {
                    "issues": [
                        {"id": i["id"], "key": i["key"], "fields": jira.fields(i, wanted)}
                        for i in found
                    ],
                    "isLast": True,
                }
            )
        if parts[0] != "issue" or len(parts) < 2 or parts[1] not in jira.issues:
            return issue_missing()
        issue = jira.issues[parts[1]]
        if len(parts) == 2:
            fields = jira.fields(issue, params.get("fields", ""))
            return JSONResponse({"id": issue["id"], "key": issue["key"], "fields": fields})
        if parts[2] == "transitions" and request.method == "GET":
            return JSONResponse({"expand": "transitions", "transitions": jira.transitions(issue)})
        if parts[2] == "transitions":
            wanted = str((await request.json())["transition"]["id"])
            chosen = [t for t in jira.transitions(issue) if t["id"] == wanted]
            if not chosen:
                message = f"Transition id '{wanted}' is not valid for this issue."
                return JSONResponse({"errorMessages": [message], "errors": {}}, 400)
            old, issue["status"] = issue["status"], chosen[0]["to"]["name"]
            jira.change(issue, "status", old, issue["status"], me)
            return Response(status_code=204)
        if parts[2] == "changelog":
            start, size = int(params.get("startAt", 0)), int(params.get("maxResults", 100))
            values = issue["changelog"][start : start + size]
            return JSONResponse(
                {
                    "startAt": start,
                    "maxResults": size,
                    "total": len(issue["changelog"]),
                    "isLast": start + size >= len(issue["changelog"]),
                    "values": values,
                }
            )
        return issue_missing()

    app = Starlette(routes=[Route("/rest/{path:path}", endpoint, methods=["GET", "POST", "PUT"])])
    return FaultMiddleware(app, faults, jira_error), jira
