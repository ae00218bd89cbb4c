"""A local ServiceNow instance for the tests: the Table API on incident, problem (state 101-107,
`known_error`, `cause_notes`, `workaround`; incidents point at it with `problem_id`), sys_user,
sys_audit, sys_journal_field, change_request (with the cmdb_ci its changes affect), and the CMDB's
alm_hardware, cmdb_ci_computer, alm_license and alm_entitlement_user, with its documented JSON
(`{"result": ...}`, errors as `{"error": {"message", "detail"}, "status": "failure"}`), basic auth,
encoded queries (`field=value^field>value^fieldINa,b^ORDERBYfield`), and the default priority
lookup.
And the knowledge tables: kb_knowledge (articles and their `workflow_state`, `language`,
`parent` for a translation, `can_read_user_criteria` / `cannot_read_user_criteria` glide
lists), kb_knowledge_base, kb_category, user_criteria, sys_user_group, and the Deleted Records
table sys_audit_delete that a DELETE fills; `sysparm_display_value=all` gives references as
`{"display_value", "value"}`. Documented at
https://www.servicenow.com/docs/bundle/zurich-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html
https://www.servicenow.com/docs/r/servicenow-platform/knowledge-management/knowledge-article-states.html
https://www.servicenow.com/docs/r/servicenow-platform/user-criteria/c_UserCriteria.html
https://www.servicenow.com/docs/r/platform-administration/c_RestoreDeletedRecords.html"""

from __future__ import annotations

import base64
import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.faults import FaultMiddleware, Faults

ACCOUNTS = {"guichet.integration": "guichet-pass", "itil.agent": "agent-pass"}
USERS = [
    {"user_name": "guichet.integration", "name": "Guichet Integration", "email": ""},
    {"user_name": "itil.agent", "name": "ITIL Agent", "email": "agent@norvane.example"},
    {"user_name": "marie.dupont", "name": "Marie Dupont", "email": "marie.dupont@norvane.example"},
]
PRIORITY = {  # (impact, urgency) → priority, ServiceNow's default data lookup
    ("1", "1"): "1", ("1", "2"): "2", ("1", "3"): "3",
    ("2", "1"): "2", ("2", "2"): "3", ("2", "3"): "4",
    ("3", "1"): "3", ("3", "2"): "4", ("3", "3"): "5",
}  # fmt: skip
AUDITED = ("state", "hold_reason", "assigned_to", "impact", "urgency")
# Reference (and glide list) fields: the table they point to and the field shown for them.
REFERENCES = {
    "assigned_to": ("sys_user", "name"),
    "kb_knowledge_base": ("kb_knowledge_base", "title"),
    "kb_category": ("kb_category", "label"),
    "parent": ("kb_knowledge", "number"),
    "can_read_user_criteria": ("user_criteria", "name"),
    "cannot_read_user_criteria": ("user_criteria", "name"),
    "group": ("sys_user_group", "name"),
    "model": ("cmdb_model", "display_name"),
    "model_category": ("cmdb_model_category", "name"),
    "ci": ("cmdb_ci_computer", "name"),
    "cmdb_ci": ("cmdb_ci_computer", "name"),  # or a cmdb_ci of a change (see _shape)
    "licensed_by": ("alm_license", "display_name"),
}
KNOWLEDGE_TABLES = ("kb_knowledge", "kb_knowledge_base", "kb_category", "user_criteria")
CHOICES = {"install_status": {"1": "In use", "6": "In stock", "7": "Retired"}}
CONDITION = re.compile(r"^([a-z_]+?)(IN|!=|>=|<=|>|<|=)(.*)$")


def error(message: str, detail: str) -> dict[str, Any]:
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


def servicenow_error(status: int) -> object:
    return error({429: "Too Many Requests", 409: "Conflict"}.get(status, "Server Error"), "")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _matches(record: dict[str, Any], condition: str) -> bool:
    found = CONDITION.match(condition)
    if not found:
        raise ValueError(condition)
    field, op, value = found.groups()
    actual = str(record.get(field, ""))
    return {
        "=": lambda: actual == value,
        "!=": lambda: actual != value,
        ">": lambda: actual > value,
        ">=": lambda: actual >= value,
        "<": lambda: actual < value,
        "<=": lambda: actual <= value,
        "IN": lambda: actual in value.split(","),
    }[op]()


def query(records: list[dict[str, Any]], encoded: str) -> list[dict[str, Any]]:
    order: str | None = None
    selected = list(records)
    for part in filter(None, encoded.split("^")):
        if part.startswith("ORDERBY"):
            order = part.removeprefix("ORDERBY")
        else:
            selected = [r for r in selected if _matches(r, part)]
    if order:
        selected.sort(key=lambda r: str(r.get(order, "")))
    return selected


class Instance:
    """The instance's tables, in memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tables: dict[str, list[dict[str, Any]]] = {
            "incident": [],
            "problem": [],
            "sys_audit": [],
            "sys_journal_field": [],
            "sys_user": [{"sys_id": uuid.uuid4().hex, **user} for user in USERS],
            "sys_user_group": [],
            "sys_audit_delete": [],
            **{table: [] for table in KNOWLEDGE_TABLES},
            "change_request": [],
            "cmdb_ci": [],
            "alm_hardware": [],
            "cmdb_ci_computer": [],
            "cmdb_model": [],
            "cmdb_model_category": [],
            "alm_license": [],
            "alm_entitlement_user": [],
        }
        self.counter = 10000
        self.articles = 1000
        self.changes = 30000

    def add_change(
        self,
        title: str,
        start: datetime,
        end: datetime,
        *,
        ci: str,
        state: str = "-2",
        approval: str = "approved",
    ) -> dict[str, Any]:
        """A change request as the change calendar shows it (state -2: Scheduled)."""
        with self.lock:
            found = next((c for c in self.tables["cmdb_ci"] if c["name"] == ci), None)
            if found is None:
                found = {"sys_id": uuid.uuid4().hex, "name": ci}
                self.tables["cmdb_ci"].append(found)
            self.changes += 1
            record = {
                "sys_id": uuid.uuid4().hex,
                "number": f"CHG{self.changes:07d}",
                "short_description": title,
                "start_date": start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "end_date": end.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "state": state,
                "approval": approval,
                "type": "normal",
                "cmdb_ci": found["sys_id"],
                "business_service": "",
                "sys_created_on": _now(),
            }
            self.tables["change_request"].append(record)
            return record

    def user(self, user_name: str) -> dict[str, Any]:
        return next(u for u in self.tables["sys_user"] if u["user_name"] == user_name)

    def find(self, table: str, sys_id: str) -> dict[str, Any] | None:
        return next((r for r in self.tables.get(table, []) if r["sys_id"] == sys_id), None)

    def _named(self, table: str, field: str, value: str) -> str:
        """The sys_id of the record of `table` whose `field` is `value`, created if missing."""
        found = next((r for r in self.tables[table] if r.get(field) == value), None)
        if found is None:
            found = {"sys_id": uuid.uuid4().hex, field: value}
            self.tables[table].append(found)
        return str(found["sys_id"])

    def add_hardware(
        self,
        user_name: str,
        *,
        model: str,
        category: str,
        tag: str,
        serial: str,
        purchased: str,
        form_factor: str | None = None,
    ) -> str:
        """An asset assigned to the user; a computer also gets its CI. Returns the id an
        incident's cmdb_ci takes (the CI's), else the asset's."""
        with self.lock:
            ci = ""
            if form_factor is not None:
                ci = uuid.uuid4().hex
                self.tables["cmdb_ci_computer"].append(
                    {"sys_id": ci, "name": tag, "form_factor": form_factor, "serial_number": serial}
                )
            asset = uuid.uuid4().hex
            self.tables["alm_hardware"].append(
                {
                    "sys_id": asset,
                    "asset_tag": tag,
                    "serial_number": serial,
                    "display_name": f"{tag} - {model}",
                    "model": self._named("cmdb_model", "display_name", model),
                    "model_category": self._named("cmdb_model_category", "name", category),
                    "purchase_date": purchased,
                    "assigned": purchased + " 09:00:00",
                    "install_status": "1",
                    "assigned_to": self.user(user_name)["sys_id"],
                    "ci": ci,
                }
            )
            return ci or asset

    def add_entitlement(self, user_name: str, licence: str) -> str:
        with self.lock:
            entitlement = uuid.uuid4().hex
            self.tables["alm_entitlement_user"].append(
                {
                    "sys_id": entitlement,
                    "licensed_by": self._named("alm_license", "display_name", licence),
                    "assigned_to": self.user(user_name)["sys_id"],
                    "sys_created_on": _now(),
                }
            )
            return entitlement

    def add_user(self, user_name: str, name: str, email: str) -> None:
        with self.lock:
            self.tables["sys_user"].append(
                {"sys_id": uuid.uuid4().hex, "user_name": user_name, "name": name, "email": email}
            )

    def insert_incident(self, fields: dict[str, Any], user: str) -> dict[str, Any]:
        self.counter += 1
        now = _now()
        record = {
            "sys_id": uuid.uuid4().hex,
            "number": f"INC{self.counter:07d}",
            "state": "1",
            "hold_reason": "",
            "impact": "3",
            "urgency": "3",
            "assigned_to": "",
            "correlation_id": "",
            "sys_created_on": now,
            "sys_created_by": user,
            "sys_updated_on": now,
            "sys_updated_by": user,
        }
        comments = fields.pop("comments", None)
        record.update({k: str(v) for k, v in fields.items()})
        record["priority"] = PRIORITY[(record["impact"], record["urgency"])]
        self.tables["incident"].append(record)
        if comments:
            self._journal(record, str(comments), user, now)
        return record

    def insert_problem(self, fields: dict[str, Any], user: str) -> dict[str, Any]:
        self.counter += 1
        now = _now()
        record = {
            "sys_id": uuid.uuid4().hex,
            "number": f"PRB{self.counter:07d}",
            "state": "101",
            "known_error": "false",
            "cause_notes": "",
            "workaround": "",
            "correlation_id": "",
            "sys_created_on": now,
            "sys_created_by": user,
            "sys_updated_on": now,
            "sys_updated_by": user,
        }
        record.update({k: str(v) for k, v in fields.items()})
        self.tables["problem"].append(record)
        return record

    def update_problem(self, record: dict[str, Any], fields: dict[str, Any], user: str) -> None:
        record.update({k: str(v) for k, v in fields.items()})
        record["sys_updated_on"], record["sys_updated_by"] = _now(), user

    def update_incident(self, record: dict[str, Any], fields: dict[str, Any], user: str) -> None:
        now = _now()
        comments = fields.pop("comments", None)
        fields.pop("work_notes", None)
        for field, value in fields.items():
            old, new = str(record.get(field, "")), str(value)
            if field in AUDITED and old != new:
                self.tables["sys_audit"].append(
                    {
                        "sys_id": uuid.uuid4().hex,
                        "tablename": "incident",
                        "documentkey": record["sys_id"],
                        "fieldname": field,
                        "oldvalue": old,
                        "newvalue": new,
                        "user": user,
                        "sys_created_on": now,
                    }
                )
            record[field] = new
        record["priority"] = PRIORITY[(record["impact"], record["urgency"])]
        if comments:
            self._journal(record, str(comments), user, now)
        record["sys_updated_on"], record["sys_updated_by"] = now, user

    def _journal(self, record: dict[str, Any], text: str, user: str, now: str) -> None:
        self.tables["sys_journal_field"].append(
            {
                "sys_id": uuid.uuid4().hex,
                "name": "incident",
                "element": "comments",
                "element_id": record["sys_id"],
                "value": text,
                "sys_created_by": user,
                "sys_created_on": now,
            }
        )

    def insert(self, table: str, fields: dict[str, Any], user: str = "admin") -> dict[str, Any]:
        """A record of a knowledge table (or a group), as the instance would store it."""
        now = _now()
        record: dict[str, Any] = {"sys_id": uuid.uuid4().hex}
        if table == "kb_knowledge":
            self.articles += 1
            record.update(
                number=f"KB{self.articles:07d}", workflow_state="draft", language="en", text="",
                kb_knowledge_base="", kb_category="", parent="", can_read_user_criteria="",
                cannot_read_user_criteria="",
            )  # fmt: skip
        record.update({k: str(v) for k, v in fields.items()})
        record.update(sys_created_on=now, sys_created_by=user, sys_updated_on=now)
        self.tables[table].append(record)
        return record

    def update(self, table: str, sys_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        record = self.find(table, sys_id)
        assert record is not None, sys_id
        record.update({k: str(v) for k, v in fields.items()}, sys_updated_on=_now())
        return record

    def delete(self, table: str, sys_id: str, user: str = "admin") -> bool:
        record = self.find(table, sys_id)
        if record is None:
            return False
        self.tables[table].remove(record)
        self.tables["sys_audit_delete"].append(
            {
                "sys_id": uuid.uuid4().hex,
                "tablename": table,
                "documentkey": sys_id,
                "display_value": str(record.get("number", "")),
                "sys_created_on": _now(),
                "sys_created_by": user,
            }
        )
        return True

    def assign(self, sys_id: str, user_name: str) -> None:
        with self.lock:
            record = self.find("incident", sys_id)
            assert record is not None
            self.update_incident(record, {"assigned_to": self.user(user_name)["sys_id"]}, user_name)


def _authenticated(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user if ACCOUNTS.get(user) == password else None


def _shape(instance: Instance, record: dict[str, Any], request: Request) -> dict[str, Any]:
    fields = request.query_params.get("sysparm_fields")
    keys = fields.split(",") if fields else list(record)
    display_all = request.query_params.get("sysparm_display_value") == "all"
    shaped: dict[str, Any] = {}
    for key in keys:
        value = str(record.get(key, ""))
        if display_all:
            display = CHOICES.get(key, {}).get(value, value)
            if key in REFERENCES and value:
                table, label = REFERENCES[key]
                found = [instance.find(table, part) for part in value.split(",")]
                display = ", ".join(
                    str(r[label]) if r else part
                    for r, part in zip(found, value.split(","), strict=True)
                )
            if key in ("cmdb_ci", "business_service") and value:
                ci = instance.find("cmdb_ci", value)  # a change's configuration item
                if ci is not None:
                    display = ci["name"]
            shaped[key] = {"display_value": display, "value": value}
        else:
            shaped[key] = value
    return shaped


def servicenow_app(faults: Faults) -> tuple[ASGIApp, Instance]:
    instance = Instance()

    async def table(request: Request) -> Response:
        user = _authenticated(request)
        if user is None:
            return JSONResponse(
                error("User Not Authenticated", "Required to provide Auth information"), 401
            )
        name = request.path_params["table"]
        sys_id = request.path_params.get("sys_id")
        # Read before taking the lock: awaiting inside it would block the server's event loop
        # for every other request (a thread lock) while this one waits for its body.
        body = await request.json() if request.method in ("POST", "PATCH", "PUT") else None
        with instance.lock:
            if name not in instance.tables:
                return JSONResponse(error("Invalid table " + name, ""), 400)
            if request.method == "DELETE" and sys_id is not None:
                if not instance.delete(name, sys_id, user):
                    return JSONResponse(error("No Record found", "Record doesn't exist"), 404)
                return Response(status_code=204)
            if request.method == "POST":
                if name in KNOWLEDGE_TABLES:
                    created = instance.insert(name, body, user)
                    return JSONResponse({"result": _shape(instance, created, request)}, 201)
                if name not in ("incident", "problem"):
                    return JSONResponse(error("Operation Failed", "not in this fake"), 403)
                insert = instance.insert_incident if name == "incident" else instance.insert_problem
                created = insert(body, user)
                location = f"{request.base_url}api/now/table/{name}/{created['sys_id']}"
                return JSONResponse(
                    {"result": _shape(instance, created, request)}, 201, {"location": location}
                )
            if sys_id is None:
                params = request.query_params
                found = query(instance.tables[name], params.get("sysparm_query", ""))
                offset = int(params.get("sysparm_offset", 0))
                limit = int(params.get("sysparm_limit", 10000))
                page = found[offset : offset + limit]
                return JSONResponse({"result": [_shape(instance, r, request) for r in page]})
            record = instance.find(name, sys_id)
            if record is None:
                return JSONResponse(
                    error(
                        "No Record found",
                        "Record doesn't exist or ACL restricts the record retrieval",
                    ),
                    404,
                )
            if request.method in ("PATCH", "PUT") and name in KNOWLEDGE_TABLES:
                instance.update(name, sys_id, body)
            elif request.method in ("PATCH", "PUT") and name == "problem":
                instance.update_problem(record, body, user)
            elif request.method in ("PATCH", "PUT"):
                instance.update_incident(record, body, user)
            return JSONResponse({"result": _shape(instance, record, request)})

    app = Starlette(
        routes=[
            Route("/api/now/table/{table}", table, methods=["GET", "POST"]),
            Route(
                "/api/now/table/{table}/{sys_id}", table, methods=["GET", "PATCH", "PUT", "DELETE"]
            ),
        ]
    )
    return FaultMiddleware(app, faults, servicenow_error), instance
