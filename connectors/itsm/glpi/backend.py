"""`TicketBackend` for GLPI's REST API (`apirest.php`): a session opened with the App-Token and
a user token (`initSession`), sent as `Session-Token`, reopened once when GLPI says it expired,
and closed by `aclose` (`killSession`)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.kernel.itsm import (
    BackendError,
    BackendRejected,
    TicketPayload,
    UpstreamChange,
    UpstreamNotFound,
    UpstreamTicket,
)
from bot.kernel.problems import ProblemPayload
from bot.kernel.tickets import Status
from bot.settings.itsm import GlpiSettings, require
from connectors.itsm.common import as_utc, comment_text, plain_text
from connectors.itsm.glpi import translate
from connectors.itsm.http import HttpApi

PAGE_SIZE = 200
EXPIRED = "ERROR_SESSION_TOKEN_INVALID"
ASSIGNED = 2  # Ticket_User.type: 1 requester, 2 assigned technician, 3 observer
LOGGED_ID = re.compile(r"\((\d+)\)\s*$")


def _ticket(upstream_id: str) -> str:
    if not upstream_id.isdigit():
        raise UpstreamNotFound(backend="glpi", problem=f"{upstream_id!r} is not a ticket id")
    return f"Ticket/{upstream_id}"


def _problem(upstream_id: str) -> str:
    if not upstream_id.isdigit():
        raise UpstreamNotFound(backend="glpi", problem=f"{upstream_id!r} is not a problem id")
    return f"Problem/{upstream_id}"


class GlpiBackend:
    name = "glpi"

    def __init__(self, settings: GlpiSettings, *, timeout: float) -> None:
        base_url = require(settings.base_url, "glpi__base_url")
        self._user_token = require(settings.user_token.get_secret_value(), "glpi__user_token")
        app_token = settings.app_token.get_secret_value()
        self._api = HttpApi(
            self.name,
            base_url,
            timeout=timeout,
            headers={"app-token": app_token} if app_token else None,
        )
        self._zone = ZoneInfo(settings.timezone)
        self._session: str | None = None
        self._me: int | None = None

    async def _open(self) -> str:
        if self._session is None:
            opened = await self._api.json(
                "GET", "initSession", headers={"authorization": f"user_token {self._user_token}"}
            )
            self._session = str(opened["session_token"])
        return self._session

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        for attempt in (1, 2):
            session = await self._open()
            try:
                return await self._api.json(
                    method, path, headers={"session-token": session}, **kwargs
                )
            except BackendRejected as exc:
                if attempt == 2 or EXPIRED not in str(exc):
                    raise
                self._session = None  # expired: open a new session once
        raise AssertionError("unreachable")

    async def create(self, payload: TicketPayload) -> str:
        found = await self._call(
            "GET",
            "Ticket",
            params={"searchText[externalid]": payload.reference, "range": "0-9"},
        )
        existing = [t for t in found or [] if t.get("externalid") == payload.reference]
        if existing:
            ticket_id = str(min(int(t["id"]) for t in existing))
        else:
            created = await self._call(
                "POST", "Ticket", json_body={"input": translate.create_input(payload)}
            )
            ticket_id = str(created["id"])
        link = translate.item_link(payload, int(ticket_id))
        if link is not None and not await self._linked(ticket_id, link):
            await self._call("POST", "Item_Ticket", json_body={"input": link})
        return ticket_id

    async def _items(self, ticket_id: str) -> list[dict[str, Any]]:
        return list(await self._call("GET", f"{_ticket(ticket_id)}/Item_Ticket") or [])

    async def _linked(self, ticket_id: str, link: dict[str, Any]) -> bool:
        """Whether the ticket already has the item (a retry after the link was made)."""
        return any(
            (i.get("itemtype"), int(i.get("items_id", 0))) == (link["itemtype"], link["items_id"])
            for i in await self._items(ticket_id)
        )

    async def get(self, upstream_id: str) -> UpstreamTicket:
        item = await self._call("GET", _ticket(upstream_id))
        ticket = translate.to_ticket(item, self._zone)
        ticket.assets = tuple(
            f"{i['itemtype']}/{int(i['items_id'])}" for i in await self._items(upstream_id)
        )
        actors = await self._call(
            "GET", f"{_ticket(upstream_id)}/Ticket_User", params={"expand_dropdowns": "true"}
        )
        technicians = [a for a in actors or [] if int(a.get("type", 0)) == ASSIGNED]
        if technicians:
            ticket.assignee = translate.user_name(str(technicians[-1]["users_id"]))
        return ticket

    async def update_status(self, upstream_id: str, status: Status) -> None:
        answer = await self._call(
            "PUT",
            _ticket(upstream_id),
            json_body={"input": {"status": translate.TO_STATUS[status]}},
        )
        await self._check_update(upstream_id, answer)

    async def _check_update(self, upstream_id: str, answer: Any) -> None:
        """GLPI answers `[{"ID": true|false, "message": ...}]` to an update."""
        for result in answer if isinstance(answer, list) else [answer]:
            if isinstance(result, dict) and result.get(upstream_id) is False:
                await self._call("GET", _ticket(upstream_id))  # UpstreamNotFound if gone
                raise BackendRejected(backend=self.name, problem=str(result.get("message")))

    async def comment(self, upstream_id: str, text: str, *, author: str | None = None) -> None:
        followup = {
            "itemtype": "Ticket",
            "items_id": int(_ticket(upstream_id).split("/")[1]),
            "content": comment_text(text, author),
            "is_private": 0,
        }
        try:
            await self._call("POST", "ITILFollowup", json_body={"input": followup})
        except BackendRejected:
            await self._call("GET", _ticket(upstream_id))  # UpstreamNotFound if gone
            raise

    async def changes_since(self, since: datetime) -> list[UpstreamChange]:
        since = as_utc(since)
        me = await self._my_id()
        changes: list[UpstreamChange] = []
        for ticket_id in await self._updated_since(since):
            changes += await self._history(ticket_id, since, me)
            changes += await self._followups(ticket_id, since, me)
        return sorted(changes, key=lambda change: change.at)

    async def _my_id(self) -> int:
        if self._me is None:
            full = await self._call("GET", "getFullSession")
            self._me = int(full["session"]["glpiID"])
        return self._me

    async def _updated_since(self, since: datetime) -> list[str]:
        ids: list[str] = []
        while True:
            found = await self._call(
                "GET",
                "search/Ticket",
                params=[
                    ("criteria[0][field]", translate.OPTION_DATE_MOD),
                    ("criteria[0][searchtype]", "morethan"),
                    ("criteria[0][value]", translate.glpi_query_datetime(since, self._zone)),
                    ("forcedisplay[0]", translate.OPTION_ID),
                    ("range", f"{len(ids)}-{len(ids) + PAGE_SIZE - 1}"),
                ],
            )
            rows = (found or {}).get("data") or []
            ids += [str(row[str(translate.OPTION_ID)]) for row in rows]
            if len(rows) < PAGE_SIZE:
                return ids

    def _by_me(self, logged_user: str, me: int) -> bool:
        found = LOGGED_ID.search(logged_user)
        return found is not None and int(found.group(1)) == me

    async def _history(self, ticket_id: str, since: datetime, me: int) -> list[UpstreamChange]:
        logs = await self._call("GET", f"Ticket/{ticket_id}/Log", params={"range": "0-999"})
        changes = []
        for log in logs or []:
            at = translate.glpi_datetime(str(log["date_mod"]), self._zone)
            option = int(log.get("id_search_option") or 0)
            if at <= since or self._by_me(str(log.get("user_name", "")), me):
                continue
            base = {"upstream_id": ticket_id, "at": at, "author": log.get("user_name")}
            if option == translate.OPTION_STATUS:
                status = translate.status(log["new_value"])
                changes.append(UpstreamChange(kind="status", status=status, **base))
            elif option == translate.OPTION_TECHNICIAN and log.get("new_value"):
                assignee = translate.user_name(str(log["new_value"]))
                changes.append(UpstreamChange(kind="assignee", assignee=assignee, **base))
        return changes

    async def _followups(self, ticket_id: str, since: datetime, me: int) -> list[UpstreamChange]:
        followups = await self._call("GET", f"Ticket/{ticket_id}/ITILFollowup")
        changes = []
        for followup in followups or []:
            at = translate.glpi_datetime(str(followup["date_creation"]), self._zone)
            if at <= since or int(followup.get("is_private") or 0):
                continue
            if int(followup.get("users_id") or 0) == me:
                continue
            changes.append(
                UpstreamChange(
                    upstream_id=ticket_id,
                    at=at,
                    kind="comment",
                    comment=plain_text(str(followup.get("content") or "")),
                    author=str(followup.get("users_id")),
                )
            )
        return changes

    # -- problems (`Problem`, linked to tickets through `Problem_Ticket`) ----------------------

    async def create_problem(self, payload: ProblemPayload) -> str:
        # A problem has no external id in GLPI: its name starts with Guichet's reference.
        tag = translate.problem_tag(payload.reference)
        found = await self._call("GET", "Problem", params={"searchText[name]": tag, "range": "0-9"})
        existing = [p for p in found or [] if str(p.get("name", "")).startswith(tag)]
        if existing:
            return str(min(int(p["id"]) for p in existing))
        created = await self._call(
            "POST", "Problem", json_body={"input": translate.problem_input(payload)}
        )
        return str(created["id"])

    async def update_problem(self, upstream_id: str, payload: ProblemPayload) -> None:
        answer = await self._call(
            "PUT", _problem(upstream_id), json_body={"input": translate.problem_input(payload)}
        )
        for result in answer if isinstance(answer, list) else [answer]:
            if isinstance(result, dict) and result.get(upstream_id) is False:
                await self._call("GET", _problem(upstream_id))  # UpstreamNotFound if gone
                raise BackendRejected(backend=self.name, problem=str(result.get("message")))

    async def _links(self, problem_id: str) -> list[dict[str, Any]]:
        return list(await self._call("GET", f"{_problem(problem_id)}/Problem_Ticket") or [])

    async def link_incident(self, problem_id: str, incident_id: str) -> None:
        ticket = int(_ticket(incident_id).split("/")[1])
        if any(int(link["tickets_id"]) == ticket for link in await self._links(problem_id)):
            return
        await self._call(
            "POST",
            "Problem_Ticket",
            json_body={"input": {"problems_id": int(problem_id), "tickets_id": ticket}},
        )

    async def unlink_incident(self, problem_id: str, incident_id: str) -> None:
        ticket = int(_ticket(incident_id).split("/")[1])
        for link in await self._links(problem_id):
            if int(link["tickets_id"]) == ticket:
                await self._call("DELETE", f"Problem_Ticket/{int(link['id'])}")

    async def aclose(self) -> None:
        try:
            if self._session is not None:
                await self._api.send("GET", "killSession", headers={"session-token": self._session})
        except BackendError:
            pass  # the session expires on its own; closing must not fail
        finally:
            self._session = None
            await self._api.aclose()
