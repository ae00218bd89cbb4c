"""A local GLPI for the tests: `apirest.php` with initSession/killSession/getFullSession, the Ticket
itemtype (get, getItems with searchText, add, update), its Log, ITILFollowup and Ticket_User
sub-items, and search/Ticket on date_mod; the assets of a user (Computer, Monitor, Phone, Printer,
SoftwareLicense getItems with searchText[users_id], dropdowns expanded on request, infocoms
with_infocoms), search/User by e-mail, and Item_Ticket links; the Change itemtype (getItems with
range and expand_dropdowns) and its ChangeTask sub-items (planned `begin` and `end`); GLPI's JSON
and its error arrays (`["ERROR_...", "message"]`); dates without offset, in UTC here.
And the knowledge base: `KnowbaseItem` (getItems with `only_id`, `range` and the
`Content-Range: start-end/total` header, 206 for a part; getItem with `expand_dropdowns`),
`search/KnowbaseItem` on date_mod (search option 19, `morethan`, sorted, `range`), and the
sub-items `KnowbaseItem_Group`, `KnowbaseItem_Profile`, `Entity_KnowbaseItem`,
`KnowbaseItem_User` (visibility targets) and `KnowbaseItemTranslation` (`language` "fr_FR").
Documented at https://github.com/glpi-project/glpi/blob/10.0/bugfixes/apirest.md (Get all
items, Get sub items, Search items) and https://glpi-user-documentation.readthedocs.io/fr/latest/modules/tools/knowledgebase.html"""

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
PROFILES = {"Self-Service": 1, "Technician": 6, "Super-Admin": 4}
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
        self.knowbase: dict[int, dict[str, Any]] = {}
        self.groups: dict[str, int] = {}  # name → id
        self.targets: list[tuple[str, int, dict[str, Any]]] = []  # (itemtype, article, fields)
        self.translations: list[dict[str, Any]] = []
        self.category = "IT > Network"
        self.categories: dict[int, str] = {}
        self.changes: dict[int, dict[str, Any]] = {}
        self.change_tasks: list[dict[str, Any]] = []
        self.problems: dict[int, dict[str, Any]] = {}
        self.problem_tickets: dict[int, dict[str, Any]] = {}
        self.emails: dict[int, str] = {7: "", 8: "agent@norvane.example"}
        self.assets: dict[str, dict[int, dict[str, Any]]] = {t: {} for t in ASSET_TYPES}
        self.dropdowns: dict[tuple[str, str], int] = {}
        self.item_links: list[dict[str, Any]] = []

    def add_change(
        self, name: str, begin: datetime, end: datetime, *, category: str, status: int = 7
    ) -> int:
        """A change (status 7: accepted) planned by one task over [begin, end]."""
        with self.lock:
            category_id = next(
                (i for i, n in self.categories.items() if n == category), len(self.categories) + 1
            )
            self.categories[category_id] = category
            change_id = len(self.changes) + 1
            self.changes[change_id] = {
                "id": change_id,
                "entities_id": 0,
                "name": name,
                "content": "",
                "status": status,
                "date": _now(),
                "time_to_resolve": None,
                "itilcategories_id": category_id,
                "is_deleted": 0,
                "date_mod": _now(),
            }
            self.change_tasks.append(
                {
                    "id": len(self.change_tasks) + 1,
                    "changes_id": change_id,
                    "content": "Deployment",
                    "begin": begin.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    "end": end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    "state": 1,
                }
            )
            return change_id

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

    # The knowledge base, changed by the tests as an editor would in GLPI's pages.

    def add_article(
        self,
        name: str,
        answer: str,
        *,
        groups: tuple[str, ...] = (),
        profiles: tuple[str, ...] = (),
        entity: bool = False,
        is_faq: bool = False,
        translations: dict[str, tuple[str, str]] | None = None,
    ) -> int:
        with self.lock:
            item_id = max(self.knowbase, default=0) + 1
            self.knowbase[item_id] = {
                "id": item_id,
                "name": name,
                "answer": answer,
                "is_faq": int(is_faq),
                "knowbaseitemcategories_id": self.category,
                "users_id": 7,
                "view": 0,
                "date": _now(),
                "date_creation": _now(),
                "date_mod": _now(),
            }
            for group in groups:
                group_id = self.groups.setdefault(group, len(self.groups) + 1)
                self.targets.append(("KnowbaseItem_Group", item_id, {"groups_id": group_id}))
            for profile in profiles:
                profile_id = PROFILES[profile]
                self.targets.append(("KnowbaseItem_Profile", item_id, {"profiles_id": profile_id}))
            if entity:
                self.targets.append(("Entity_KnowbaseItem", item_id, {"entities_id": 0}))
            for language, (title, text) in (translations or {}).items():
                self.translations.append(
                    {"id": len(self.translations) + 1, "knowbaseitems_id": item_id,
                     "language": language, "name": title, "answer": text, "users_id": 7,
                     "date_mod": _now(), "date_creation": _now()}
                )  # fmt: skip
            return item_id

    def change_article(self, item_id: int, **fields: Any) -> None:
        with self.lock:
            self.knowbase[item_id].update(fields, date_mod=_now())

    def purge_article(self, item_id: int) -> None:
        with self.lock:
            del self.knowbase[item_id]
            self.targets = [t for t in self.targets if t[1] != item_id]
            self.translations = [t for t in self.translations if t["knowbaseitems_id"] != item_id]

    def knowbase_sub_items(self, item_id: int, kind: str, expand: bool) -> list[dict[str, Any]]:
        if kind == "KnowbaseItemTranslation":
            return [t for t in self.translations if t["knowbaseitems_id"] == item_id]
        names = {
            "groups_id": {i: n for n, i in self.groups.items()},
            "profiles_id": {i: n for n, i in PROFILES.items()},
            "entities_id": {0: "Root entity"},
        }
        found = []
        for index, (target_kind, target_item, fields) in enumerate(self.targets):
            if target_kind == kind and target_item == item_id:
                shown = {k: names[k][v] if expand and k in names else v for k, v in fields.items()}
                found.append({"id": index + 1, "knowbaseitems_id": item_id, **shown})
        return found

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
        if parts[0] in ("KnowbaseItem", "search") and parts[-1] != "Ticket":
            return knowbase(parts, params)
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
        if parts == ["Change"] and request.method == "GET":
            start, end = (int(n) for n in params.get("range", "0-49").split("-"))
            expand = params.get("expand_dropdowns") == "true"
            shown = [
                {**c, "itilcategories_id": glpi.categories.get(c["itilcategories_id"], 0)}
                if expand
                else c
                for c in glpi.changes.values()
            ]
            return JSONResponse(shown[start : end + 1])
        if parts[0] == "Change" and len(parts) == 3 and parts[2] == "ChangeTask":
            if not parts[1].isdigit() or int(parts[1]) not in glpi.changes:
                return fail(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
            return JSONResponse([t for t in glpi.change_tasks if t["changes_id"] == int(parts[1])])
        if parts[0] in ("Problem", "Problem_Ticket"):
            return await problems(request, parts)
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

    def knowbase(parts: list[str], params: Any) -> Response:
        start, end = (int(n) for n in params.get("range", "0-50").split("-"))
        expand = params.get("expand_dropdowns") == "true"
        if parts == ["search", "KnowbaseItem"]:
            since = params.get("criteria[0][value]", "")
            items = sorted(glpi.knowbase.values(), key=lambda i: (i["date_mod"], i["id"]))
            rows = [
                {str(ID_OPTION): i["id"], str(DATE_MOD_OPTION): i["date_mod"]}
                for i in items
                if i["date_mod"] > since  # "morethan"
            ]
            page = rows[start : end + 1]
            return JSONResponse({"totalcount": len(rows), "count": len(page), "data": page})
        if parts == ["KnowbaseItem"]:
            items = sorted(glpi.knowbase.values(), key=lambda i: i["id"])
            page = items[start : end + 1]
            shown = [{"id": i["id"]} for i in page] if params.get("only_id") == "true" else page
            last = start + max(len(page) - 1, 0)
            return JSONResponse(
                shown,
                206 if len(page) < len(items) else 200,
                {
                    "content-range": f"{start}-{last}/{len(items)}",
                    "accept-range": "KnowbaseItem 1000",
                },
            )
        item = glpi.knowbase.get(int(parts[1])) if parts[1].isdigit() else None
        if item is None:
            return fail(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
        if len(parts) == 2:
            return JSONResponse(item if expand else {**item, "knowbaseitemcategories_id": 3})
        return JSONResponse(glpi.knowbase_sub_items(item["id"], parts[2], expand))

    async def problems(request: Request, parts: list[str]) -> Response:
        """Problem (name, content, status, causecontent, symptomcontent) and Problem_Ticket."""
        params = request.query_params
        if parts == ["Problem"] and request.method == "GET":
            wanted = params.get("searchText[name]", "")
            return JSONResponse([p for p in glpi.problems.values() if wanted in p["name"]])
        if parts == ["Problem"] and request.method == "POST":
            fields = (await request.json())["input"]
            problem_id = len(glpi.problems) + 1
            glpi.problems[problem_id] = {
                "id": problem_id, "entities_id": 0, "status": 1, "content": "",
                "causecontent": "", "symptomcontent": "", "impactcontent": "",
                **fields, "date_creation": _now(), "date_mod": _now(),
            }  # fmt: skip
            return JSONResponse({"id": problem_id, "message": ""}, 201)
        if parts == ["Problem_Ticket"] and request.method == "POST":
            fields = (await request.json())["input"]
            problem = glpi.problems.get(int(fields["problems_id"]))
            ticket = glpi.tickets.get(int(fields["tickets_id"]))
            if problem is None or ticket is None:
                return fail(
                    400, "ERROR_GLPI_ADD", "You don't have permission to perform this action."
                )
            link_id = max(glpi.problem_tickets, default=0) + 1
            glpi.problem_tickets[link_id] = {
                "id": link_id,
                "problems_id": problem["id"],
                "tickets_id": ticket["id"],
            }
            return JSONResponse({"id": link_id, "message": ""}, 201)
        if parts[0] == "Problem_Ticket" and len(parts) == 2 and request.method == "DELETE":
            if glpi.problem_tickets.pop(int(parts[1]), None) is None:
                return fail(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
            return JSONResponse([{parts[1]: True, "message": ""}])
        problem = glpi.problems.get(int(parts[1])) if parts[1:] and parts[1].isdigit() else None
        if problem is None and request.method == "PUT":
            return JSONResponse([{parts[1]: False, "message": "Item not found"}])
        if problem is None:
            return fail(404, "ERROR_ITEM_NOT_FOUND", "Item not found")
        if request.method == "PUT":
            problem.update((await request.json())["input"])
            problem["date_mod"] = _now()
            return JSONResponse([{str(problem["id"]): True, "message": ""}])
        if len(parts) == 3 and parts[2] == "Problem_Ticket":
            return JSONResponse(
                [k for k in glpi.problem_tickets.values() if k["problems_id"] == problem["id"]]
            )
        return JSONResponse(problem)

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
