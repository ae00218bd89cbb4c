"""`TicketBackend` for Jira Service Management (Cloud REST APIs, basic auth with an API token).

Requests are created through the service desk API (`/rest/servicedeskapi/request`), their status
changed through the issue's transitions (`/rest/api/3/issue/{key}/transitions`), comments made
public through the service desk API; changes made upstream are found with JQL and read from the
issue's changelog and the request's public comments.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bot.kernel.itsm import (
    TicketPayload,
    UpstreamChange,
    UpstreamConflict,
    UpstreamNotFound,
    UpstreamTicket,
)
from bot.kernel.tickets import Status
from bot.settings.itsm import JiraServiceManagementSettings, require
from connectors.itsm.common import as_utc, comment_text
from connectors.itsm.http import HttpApi
from connectors.itsm.jira_service_management import translate

PAGE_SIZE = 100
ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]+-\d+$")


def _key(upstream_id: str) -> str:
    if not ISSUE_KEY.match(upstream_id):
        raise UpstreamNotFound(
            backend="jira_service_management", problem=f"{upstream_id!r} is not an issue key"
        )
    return upstream_id


class JiraServiceManagementBackend:
    name = "jira_service_management"

    def __init__(self, settings: JiraServiceManagementSettings, *, timeout: float) -> None:
        base_url = require(settings.base_url, "jira_service_management__base_url")
        email = require(settings.email, "jira_service_management__email")
        self._project = require(settings.project_key, "jira_service_management__project_key")
        self._desk = require(settings.service_desk_id, "jira_service_management__service_desk_id")
        self._request_types = {
            "incident": require(
                settings.incident_request_type_id,
                "jira_service_management__incident_request_type_id",
            ),
            "request": settings.service_request_type_id or settings.incident_request_type_id,
        }
        self._statuses = settings.statuses
        self._zone = ZoneInfo(settings.timezone)
        self._api = HttpApi(
            self.name,
            base_url,
            timeout=timeout,
            auth=httpx.BasicAuth(email, settings.api_token.get_secret_value()),
        )
        self._me: str | None = None

    async def _search(self, jql: str, fields: str) -> list[dict[str, Any]]:
        issues: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params = {"jql": jql, "fields": fields, "maxResults": PAGE_SIZE}
            if token:
                params["nextPageToken"] = token
            found = await self._api.json("GET", "rest/api/3/search/jql", params=params)
            issues += found.get("issues") or []
            token = found.get("nextPageToken")
            if not token or found.get("isLast", True):
                return issues

    async def create(self, payload: TicketPayload) -> str:
        label = translate.jql_string(translate.reference_label(payload.reference))
        found = await self._search(
            f"project = {translate.jql_string(self._project)} AND labels = {label}"
            " ORDER BY created ASC",
            "labels",
        )
        if found:
            return str(found[0]["key"])
        created = await self._api.json(
            "POST",
            "rest/servicedeskapi/request",
            json_body=translate.create_body(
                payload,
                service_desk_id=self._desk,
                request_type_id=self._request_types[payload.kind],
            ),
        )
        return str(created["issueKey"])

    async def get(self, upstream_id: str) -> UpstreamTicket:
        issue = await self._api.json(
            "GET",
            f"rest/api/3/issue/{_key(upstream_id)}",
            params={"fields": translate.ISSUE_FIELDS},
        )
        return translate.to_ticket(issue, self._statuses)

    async def update_status(self, upstream_id: str, status: Status) -> None:
        target = self._statuses[status]
        path = f"rest/api/3/issue/{_key(upstream_id)}/transitions"
        transitions = (await self._api.json("GET", path)).get("transitions") or []
        chosen = [t for t in transitions if str(t["to"]["name"]).casefold() == target.casefold()]
        if not chosen:
            current = await self.get(upstream_id)
            if self._statuses[current.status].casefold() == target.casefold():
                return  # already there
            allowed = ", ".join(sorted({str(t["to"]["name"]) for t in transitions})) or "none"
            raise UpstreamConflict(
                backend=self.name,
                problem=f"no transition of {upstream_id} leads to {target!r}; allowed: {allowed}",
            )
        await self._api.send("POST", path, json_body={"transition": {"id": chosen[0]["id"]}})

    async def comment(self, upstream_id: str, text: str, *, author: str | None = None) -> None:
        await self._api.json(
            "POST",
            f"rest/servicedeskapi/request/{_key(upstream_id)}/comment",
            json_body={"body": comment_text(text, author), "public": True},
        )

    async def changes_since(self, since: datetime) -> list[UpstreamChange]:
        since = as_utc(since)
        me = await self._my_account()
        issues = await self._search(
            f"project = {translate.jql_string(self._project)} AND labels = {translate.LABEL}"
            f' AND updated >= "{translate.jql_datetime(since, self._zone)}" ORDER BY updated ASC',
            "updated",
        )
        changes: list[UpstreamChange] = []
        for issue in issues:
            key = str(issue["key"])
            changes += await self._changelog(key, since, me)
            changes += await self._public_comments(key, since, me)
        return sorted(changes, key=lambda change: change.at)

    async def _my_account(self) -> str:
        if self._me is None:
            self._me = str((await self._api.json("GET", "rest/api/3/myself"))["accountId"])
        return self._me

    async def _changelog(self, key: str, since: datetime, me: str) -> list[UpstreamChange]:
        changes: list[UpstreamChange] = []
        start = 0
        while True:
            page = await self._api.json(
                "GET",
                f"rest/api/3/issue/{key}/changelog",
                params={"startAt": start, "maxResults": PAGE_SIZE},
            )
            for history in page.get("values") or []:
                at = translate.jira_datetime(str(history["created"]))
                author = history.get("author") or {}
                if at <= since or author.get("accountId") == me:
                    continue
                for item in history.get("items") or []:
                    base = {"upstream_id": key, "at": at, "author": author.get("displayName")}
                    if item.get("field") == "status":
                        status = translate.from_status(str(item.get("toString")), self._statuses)
                        changes.append(UpstreamChange(kind="status", status=status, **base))
                    elif item.get("field") == "assignee":
                        assignee = item.get("toString") or None
                        changes.append(UpstreamChange(kind="assignee", assignee=assignee, **base))
            start += len(page.get("values") or [])
            if page.get("isLast", True) or not page.get("values"):
                return changes

    async def _public_comments(self, key: str, since: datetime, me: str) -> list[UpstreamChange]:
        changes: list[UpstreamChange] = []
        start = 0
        while True:
            page = await self._api.json(
                "GET",
                f"rest/servicedeskapi/request/{key}/comment",
                params={"public": "true", "internal": "false", "start": start, "limit": PAGE_SIZE},
            )
            for comment in page.get("values") or []:
                at = translate.jira_datetime(str(comment["created"]["iso8601"]))
                author = comment.get("author") or {}
                if at > since and comment.get("public") and author.get("accountId") != me:
                    changes.append(
                        UpstreamChange(
                            upstream_id=key,
                            at=at,
                            kind="comment",
                            comment=str(comment.get("body") or ""),
                            author=author.get("displayName"),
                        )
                    )
            start += len(page.get("values") or [])
            if page.get("isLastPage", True) or not page.get("values"):
                return changes

    async def aclose(self) -> None:
        await self._api.aclose()
