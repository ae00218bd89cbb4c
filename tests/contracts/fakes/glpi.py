"""A local GLPI for the tests: `apirest.php` with initSession/killSession/getFullSession, the
Ticket itemtype (get, getItems with searchText, add, update), its Log, ITILFollowup and
Ticket_User sub-items, and search/Ticket on date_mod; the assets of a user (Computer, Monitor,
Phone, Printer, SoftwareLicense getItems with searchText[users_id], dropdowns expanded on
request, infocoms with_infocoms), search/User by e-mail, and Item_Ticket links; GLPI's JSON
and its error arrays (`["ERROR_...", "message"]`); dates without offset, in UTC here."""

from __future__ import annotations

import re
import secrets
import threading
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.faults import FaultMiddleware, Faults

APP_TOKEN = "guichet-app-token"
USERS = {7: "guichet", 8: "tech.agent"}
USER_TOKENS = {"guichet-user-token": 7, "agent-user-token": 8}
STATUS_OPTION, TECHNICIAN_OPTION, DATE_MOD_OPTION, ID_OPTION = 12, 5, 19, 2
EMAIL_OPTION = 5  # search option of User: its e-mail addresses
ASSET_TYPES = ("Computer", "Monitor", "Phone", "Printer", "SoftwareLicense")
# Dropdown foreign keys, and the dropdown's own itemtype (what `expand_dropdowns` resolves).
DROPDOWNS = (
    "computermodels_id",
    "monitormodels_id",
    "computertypes_id",
    "manufacturers_id",
    "states_id",
    "softwares_id",
)


def glpi_error(status: int) -> object:
    return ["ERROR", {429: "Too Many Requests", 409: "Conflict"}.get(status, "Internal error")]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _logged(user: int) -> str:
    return f"{USERS[user]} ({user})"


class Glpi:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions: dict[str, int] = {}
        self.tickets: dict[int, dict[str, Any]] = {}
        self.logs: list[dict[str, Any]] = []
        self.followups: list[dict[str, Any]] = []
        self.actors: list[dict[str, Any]] = []
        self.emails: dict[int, str] = {7: "", 8: "agent@norvane.example"}
        self.assets: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in ASSET_TYPES}
        self.dropdowns: dict[tuple[str, str], int] = {}
        self.item_links: list[dict[str, Any]] = []

    def add_user(self, login: str, email: str) -> int:
        with self.lock:
            user = max(USERS) + 1
            USERS[user] = login
            self.emails[user] = email
            return user

    def _dropdown(self, field: str, name: str) -> int:
        return self.dropdowns.setdefault((field, name), len(self.dropdowns) + 1)

    def add_asset(
        self,
        itemtype: str,
        user: int,
        *,
        name: str,
        buy_date: str | None = None,
        **fields: str,
    ) -> str:
        """An item held by `user`; dropdown fields are given by name. Returns "Itemtype/id"."""
        with self.lock:
            item_id = sum(len(items) for items in self.assets.values()) + 1
            item: dict[str, Any] = {"id": item_id, "name": name, "users_id": user}
            for field, value in fields.items():
                item[field] = self._dropdown(field, value) if field in DROPDOWNS else value
            item["_infocoms"] = {"buy_date": buy_date, "use_date": buy_date} if buy_date else []
            self.assets[itemtype][item_id] = item
            return f"{itemtype}/{item_id}"

    def expanded(self, item: dict[str, Any], expand: bool, infocoms: bool) -> dict[str, Any]:
        names = {(field, number): name for (field, name), number in self.dropdowns.items()}
        shown = {k: v for k, v in item.items() if k != "_infocoms"}
        if expand:
            for field in DROPDOWNS:
                if field in shown:
                    shown[field] = names.get((field, shown[field]), 0)
        if infocoms:
            shown["_infocoms"] = item["_infocoms"]
        return shown

    def log(self, ticket_id: int, option: int, old: str, new: str, user: int) -> None:
        self.logs.append(
            {
                "id": len(self.logs) + 1,
                "itemtype": "Ticket",
                "items_id": ticket_id,
                "itemtype_link": "User" if option == TECHNICIAN_OPTION else "",
                "linked_action": 15 if option == TECHNICIAN_OPTION else 0,
                "user_name": _logged(user),
                "date_mod": _now(),
                "id_search_option": option,
                "old_value": old,
                "new_value": new,
            }
        )

    def assign(self, ticket_id: str, user: int) -> None:
        with self.lock:
            ticket = self.tickets[int(ticket_id)]
            self.actors.append(
                {
                    "id": len(self.actors) + 1,
                    "tickets_id": ticket["id"],
                    "users_id": user,
                    "type": 2,
                }
            )
            self.log(ticket["id"], TECHNICIAN_OPTION, "", _logged(user), user)
            ticket["date_mod"] = _now()


def glpi_app(faults: Faults) -> tuple[ASGIApp, Glpi]:
    glpi = Glpi()

    def fail(status: int, code: str, message: str) -> JSONResponse:
        return JSONResponse([code, message], status)

    async def endpoint(request: Request) -> Response:
        if request.headers.get("app-token") != APP_TOKEN:
            return fail(400, "ERROR_WRONG_APP_TOKEN_PARAMETER", "parameter app_token seems wrong")
        path = request.path_params["path"].strip("/")
        # Read the body before taking the lock (cached by Starlette for request.json() below):
        # awaiting the network inside a thread lock blocks every other request of the server.
        await request.body()
        with glpi.lock:
            if path == "initSession":
                token = request.headers.get("authorization", "").removeprefix("user_token ")
                if token not in USER_TOKENS:
                    return fail(
                        401, "ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid"
                    )
                session = secrets.token_hex(20)
                glpi.sessions[session] = USER_TOKENS[token]
                return JSONResponse({"session_token": session})
            user = glpi.sessions.get(request.headers.get("session-token", ""))
            if user is None:
                return fail(401, "ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid")
            if path == "killSession":
                glpi.sessions.pop(request.headers["session-token"], None)
                return Response(status_code=200)
            if path == "getFullSession":
                return JSONResponse({"session": {"glpiID": user, "glpiname": USERS[user]}})
            return await items(request, path, user)

    async def items(request: Request, path: str, user: int) -> Response:
        parts = path.split("/")
        params = request.query_params
        if parts == ["search", "Ticket"]:
            since = params.get("criteria[0][value]", "")
            rows = [
                {str(ID_OPTION): t["id"], str(DATE_MOD_OPTION): t["date_mod"]}
                for t in glpi.tickets.values()
                if t["date_mod"] > since
            ]
            start, end = (int(n) for n in params.get("range", "0-49").split("-"))
            page = rows[start : end + 1]
            return JSONResponse({"totalcount": len(rows), "count": len(page), "data": page})
        if parts == ["search", "User"]:
            wanted = params.get("criteria[0][value]", "").lower()
            rows = [{str(ID_OPTION): u} for u, e in glpi.emails.items() if e and e == wanted]
            return JSONResponse({"totalcount": len(rows), "count": len(rows), "data": rows})
        if parts[0] in ASSET_TYPES and request.method == "GET":
            return asset_items(parts, params)
        if parts == ["Item_Ticket"] and request.method == "POST":
            fields = (await request.json())["input"]
            if int(fields["tickets_id"]) not in glpi.tickets:
                return fail(400, "ERROR_GLPI_ADD", "Item not found")
            link = {
                "id": len(glpi.item_links) + 1,
                "itemtype": fields["itemtype"],
                "items_id": int(fields["items_id"]),
                "tickets_id": int(fields["tickets_id"]),
            }
            glpi.item_links.append(link)
            return JSONResponse({"id": link["id"], "message": ""}, 201)
        if parts == ["Ticket"] and request.method == "GET":
            wanted = params.get("searchText[externalid]", "")
            found = [t for t in glpi.tickets.values() if wanted in str(t["externalid"] or "")]
            return JSONResponse(found)
        if parts == ["Ticket"] and request.method == "POST":
            fields = (await request.json())["input"]
            ticket_id = len(glpi.tickets) + 1
            glpi.tickets[ticket_id] = {
                "id": ticket_id,
                "entities_id": 0,
                "name": fields["name"],
                "content": fields.get("content", ""),
                "type": fields.get("type", 1),
                "status": fields.get("status", 1),
                "urgency": fields.get("urgency", 3),
                "impact": fields.get("impact", 3),
                "priority": fields.get("priority", 3),
                "externalid": fields.get("externalid"),
                "users_id_recipient": user,
                "date": _now(),
                "date_creation": _now(),
                "date_mod": _now(),
            }
            return JSONResponse({"id": ticket_id, "message": ""}, 201)
        if parts == ["ITILFollowup"] and request.method == "POST":
            fields = (await request.json())["input"]
            ticket = glpi.tickets.get(int(fields["items_id"]))
            if ticket is None:
                return fail(
                    400, "ERROR_GLPI_ADD", "You don't have permission to perform this action."
                )
            followup = {
                "id": len(glpi.followups) + 1,
                "itemtype": "Ticket",
                "items_id": ticket["id"],
                "users_id": user,
                "content": fields["content"],
                "is_private": int(fields.get("is_private", 0)),
                "date": _now(),
                "date_creation": _now(),
                "date_mod": _now(),
            }
            glpi.followups.append(followup)
            ticket["date_mod"] = _now()
            return JSONResponse({"id": followup["id"], "message": ""}, 201)
        if parts[0] == "Ticket" and len(parts) >= 2:
            ticket = glpi.tickets.get(int(parts[1])) if parts[1].isdigit() else None
            if ticket is None and request.method == "PUT":
                return JSONResponse([{parts[1]: False, "message": "Item not found"}])
            if ticket is None:
                return fail(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
            if request.method == "PUT":
                fields = (await request.json())["input"]
                if "status" in fields and int(fields["status"]) != ticket["status"]:
                    old = ticket["status"]
                    ticket["status"] = int(fields["status"])
                    glpi.log(ticket["id"], STATUS_OPTION, str(old), str(ticket["status"]), user)
                ticket["date_mod"] = _now()
                return JSONResponse([{str(ticket["id"]): True, "message": ""}])
            if len(parts) == 2:
                return JSONResponse(ticket)
            return JSONResponse(sub_items(ticket, parts[2], params.get("expand_dropdowns")))
        return fail(400, "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM", "resource not found")

    def asset_items(parts: list[str], params: Any) -> Response:
        expand = params.get("expand_dropdowns") == "true"
        infocoms = params.get("with_infocoms") == "true"
        items = glpi.assets[parts[0]]
        if len(parts) == 2:
            item = items.get(int(parts[1])) if parts[1].isdigit() else None
            if item is None:
                return fail(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
            return JSONResponse(glpi.expanded(item, expand, infocoms))
        pattern = params.get("searchText[users_id]")
        found = [
            glpi.expanded(item, expand, False)
            for item in items.values()
            if pattern is None or re.search(pattern, str(item["users_id"]))
        ]
        start, end = (int(n) for n in params.get("range", "0-49").split("-"))
        return JSONResponse(found[start : end + 1])

    def sub_items(ticket: dict[str, Any], kind: str, expand: str | None) -> list[dict[str, Any]]:
        if kind == "Log":
            return [log for log in glpi.logs if log["items_id"] == ticket["id"]]
        if kind == "ITILFollowup":
            return [f for f in glpi.followups if f["items_id"] == ticket["id"]]
        if kind == "Item_Ticket":
            return [link for link in glpi.item_links if link["tickets_id"] == ticket["id"]]
        actors = [a for a in glpi.actors if a["tickets_id"] == ticket["id"]]
        if expand == "true":
            return [{**a, "users_id": USERS[a["users_id"]]} for a in actors]
        return actors

    app = Starlette(
        routes=[
            Route("/apirest.php/{path:path}", endpoint, methods=["GET", "POST", "PUT", "DELETE"])
        ]
    )
    return FaultMiddleware(app, faults, glpi_error), glpi
