"""`TicketBackend` for Request Tracker 5 (REST2, `/REST/2.0/`)."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from typing import Any

import httpx

from bot.kernel.itsm import (
    BackendRejected,
    TicketPayload,
    UpstreamChange,
    UpstreamConflict,
    UpstreamNotFound,
    UpstreamTicket,
)
from bot.kernel.tickets import Status
from bot.settings.itsm import RequestTrackerSettings, require
from connectors.itsm.common import as_utc, comment_text, plain_text, quoted
from connectors.itsm.http import HttpApi
from connectors.itsm.request_tracker import translate

PAGE_SIZE = 100
# TransactionSQL reads dates in the API user's timezone, which Guichet does not know: ask for a
# day more and keep, from what comes back, what happened after `since` (RT answers in UTC).
TIMEZONE_MARGIN = timedelta(days=1)
# RT answers 200 with a list of messages, also when it refused part of the update.
# REST2 with an expired session cookie: 401, or a 302 to the login page.
SIGNED_OUT = re.compile(r"HTTP 401|answered 302")
CSRF_REFUSED = "Cross-site request forgery protection refused"
REFUSED = re.compile(
    r"isn't a valid status|can't change status|not allowed|permission denied", re.I
)


def _origin(base_url: str) -> str:
    url = httpx.URL(base_url)
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


def _ticket(upstream_id: str) -> str:
    if not upstream_id.isdigit():
        raise UpstreamNotFound(
            backend=RequestTrackerBackend.name, problem=f"{upstream_id!r} is not an RT ticket id"
        )
    return f"ticket/{upstream_id}"


class RequestTrackerBackend:
    name = "request_tracker"

    def __init__(self, settings: RequestTrackerSettings, *, timeout: float) -> None:
        base_url = require(settings.base_url, "request_tracker__base_url")
        self._user = require(settings.username, "request_tracker__username")
        token = settings.token.get_secret_value()
        self._password = settings.password.get_secret_value()
        self._web_session = settings.web_session and not token
        basic = None if token or self._web_session else httpx.BasicAuth(self._user, self._password)
        headers = {"authorization": f"token {token}"} if token else {}
        self._origin = _origin(settings.web_origin or base_url)
        if self._web_session:
            # RT refuses a write authenticated by its session cookie unless Origin names RT
            # itself (REST2's CSRF check, in Debian's RT since 5.0.3+dfsg-3~deb12u7).
            headers["origin"] = self._origin
        self._api = HttpApi(
            self.name, f"{base_url}/REST/2.0", timeout=timeout, auth=basic, headers=headers
        )
        self._login_url = f"{base_url}/NoAuth/Login.html"
        self._logged_in = False
        self._queue = settings.queue
        self._user_names: dict[str, str] = {}

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if not self._web_session:
            return await self._api.json(method, path, **kwargs)
        for attempt in (1, 2):
            if not self._logged_in:
                await self._login()
            try:
                return await self._api.json(method, path, **kwargs)
            except BackendRejected as exc:
                if CSRF_REFUSED in str(exc):
                    raise BackendRejected(
                        backend=self.name,
                        problem=f"{exc}; Request Tracker accepts its session cookie only from its "
                        f"own address ($WebBaseURL): set GUICHET_ITSM__REQUEST_TRACKER__WEB_ORIGIN "
                        f"to it (sent: {self._origin!r}) or use an auth token",
                    ) from exc
                if attempt == 2 or not SIGNED_OUT.search(str(exc)):
                    raise
                self._logged_in = False  # the session expired: sign in once more
        raise AssertionError("unreachable")

    async def _login(self) -> None:
        self._api.forget_cookies()
        await self._api.send(
            "POST", self._login_url, form={"user": self._user, "pass": self._password}
        )
        try:
            await self._api.json("GET", "rt")
        except BackendRejected as exc:
            self._api.forget_cookies()
            raise BackendRejected(
                backend=self.name,
                problem=f"HTTP 401: Request Tracker refused the login of {self._user!r} ({exc})",
            ) from exc
        self._logged_in = True

    async def create(self, payload: TicketPayload) -> str:
        existing = await self._find(payload.reference)
        if existing is not None:
            return existing
        created = await self._call(
            "POST", "ticket", json_body=translate.create_body(payload, self._queue)
        )
        return str(created["id"])

    async def _find(self, reference: str) -> str | None:
        found = await self._call(
            "GET",
            "tickets",
            params={
                "query": f"CF.{{{translate.REFERENCE_FIELD}}} = {quoted(reference)}",
                "orderby": "id",
                "per_page": 1,
            },
        )
        items = found.get("items") or []
        return str(items[0]["id"]) if items else None

    async def get(self, upstream_id: str) -> UpstreamTicket:
        return translate.to_ticket(await self._call("GET", _ticket(upstream_id)))

    async def update_status(self, upstream_id: str, status: Status) -> None:
        messages = await self._call(
            "PUT", _ticket(upstream_id), json_body=translate.status_body(status)
        )
        refused = [m for m in messages or [] if REFUSED.search(str(m))]
        if refused:
            raise UpstreamConflict(backend=self.name, problem="; ".join(map(str, refused)))

    async def comment(self, upstream_id: str, text: str, *, author: str | None = None) -> None:
        try:
            await self._call(
                "POST",
                f"{_ticket(upstream_id)}/correspond",
                json_body={"Content": comment_text(text, author), "ContentType": "text/plain"},
            )
        except BackendRejected:
            # RT answers 400 "Message could not be recorded" for a ticket that does not exist.
            await self.get(upstream_id)  # raises UpstreamNotFound then
            raise

    async def changes_since(self, since: datetime) -> list[UpstreamChange]:
        since = as_utc(since)
        query = (
            f"ObjectType = 'RT::Ticket' AND TicketQueue = {quoted(self._queue)}"
            f" AND Created > '{translate.rt_query_datetime(since - TIMEZONE_MARGIN)}'"
            " AND (Type = 'Status' OR Type = 'Correspond' OR (Type = 'Set' AND Field = 'Owner'))"
        )
        changes: list[tuple[int, UpstreamChange]] = []
        for item in await self._transactions(query):
            creator = str((item.get("Creator") or {}).get("id") or "")
            if creator == self._user or translate.rt_datetime(item["Created"]) <= since:
                continue  # Guichet's own changes, or before `since`
            change = await self._change(item)
            changes.append((int(item["id"]), change))
        return [change for _, change in sorted(changes, key=lambda c: (c[1].at, c[0]))]

    async def _transactions(self, query: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            found = await self._call(
                "GET",
                "transactions",
                params={
                    "query": query,
                    "fields": "Type,Field,OldValue,NewValue,Created,Creator,ObjectId",
                    "orderby": "id",
                    "per_page": PAGE_SIZE,
                    "page": page,
                },
            )
            items.extend(found.get("items") or [])
            if page >= int(found.get("pages") or 1):
                return items
            page += 1

    async def _change(self, item: dict[str, Any]) -> UpstreamChange:
        if item["Type"] == "Status":
            return translate.status_change(item)
        base = {
            "upstream_id": str(item["ObjectId"]),
            "at": translate.rt_datetime(item["Created"]),
            "author": str((item.get("Creator") or {}).get("id") or "") or None,
        }
        if item["Type"] == "Correspond":
            text = await self._transaction_text(str(item["id"]))
            return UpstreamChange(kind="comment", comment=text, **base)
        owner = await self._user_name(str(item["NewValue"]))
        return UpstreamChange(
            kind="assignee", assignee=None if owner == translate.NOBODY else owner, **base
        )

    async def _transaction_text(self, transaction_id: str) -> str:
        """The reply's text: its text/plain part, else its text/html part (RT 5's editor)."""
        listing = await self._call("GET", f"transaction/{transaction_id}/attachments")
        html_text = ""
        for entry in listing.get("items") or []:
            attachment = await self._call("GET", f"attachment/{int(entry['id'])}")
            content_type = str(attachment.get("ContentType", ""))
            raw = base64.b64decode(attachment.get("Content") or "")
            text = raw.decode("utf-8", errors="replace")
            if content_type.startswith("text/plain"):
                return text.strip()
            if content_type.startswith("text/html") and not html_text:
                html_text = plain_text(text)
        return html_text

    async def _user_name(self, user_id: str) -> str:
        if user_id not in self._user_names:
            user = await self._call("GET", f"user/{int(user_id)}")
            self._user_names[user_id] = str(user.get("Name") or user_id)
        return self._user_names[user_id]

    async def aclose(self) -> None:
        await self._api.aclose()
