"""A local Microsoft Entra ID for the tests: the identity platform's token endpoint and the
Microsoft Graph v1.0 calls Guichet makes, with their documented payloads and errors.

- Client credentials token, `POST /{tenant}/oauth2/v2.0/token`, and its AADSTS errors:
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
- Graph error body `{"error": {"code", "message", "innerError"}}`, 429 with `Retry-After`:
  https://learn.microsoft.com/en-us/graph/errors and
  https://learn.microsoft.com/en-us/graph/throttling
- `GET /users?$filter=mail eq '...'`, `GET /users/{id | userPrincipalName}`, `$select`:
  https://learn.microsoft.com/en-us/graph/api/user-list and .../user-get
- `GET /users/{id}/manager` (404 `Request_ResourceNotFound` when none):
  https://learn.microsoft.com/en-us/graph/api/user-list-manager
- `GET /users/{id}/memberOf` (groups and directory roles, paged with `@odata.nextLink`):
  https://learn.microsoft.com/en-us/graph/api/user-list-memberof and
  https://learn.microsoft.com/en-us/graph/paging
- `GET /users/{id}/authentication/phoneMethods` and `/emailMethods` (the ids of the mobile,
  alternateMobile and office methods are fixed): https://learn.microsoft.com/en-us/graph/api/
  authentication-list-phonemethods and .../authentication-list-emailmethods
- `PATCH /users/{id}` with `passwordProfile`, refused with `Request_BadRequest` "The specified
  password does not comply with password complexity requirements..." (the policy: 8 to 256
  characters, three of four kinds; a reset may reuse the last password):
  https://learn.microsoft.com/en-us/graph/api/user-update,
  https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy
- `GET /groups?$filter=displayName eq '...'`, `POST /groups/{id}/members/$ref` (400 when the
  reference already exists), `GET /groups/{id}/members`:
  https://learn.microsoft.com/en-us/graph/api/group-post-members and .../group-list-members
- Smart lockout has no Graph resource: a locked account is not visible here either.
  https://learn.microsoft.com/en-us/entra/identity/authentication/howto-password-smart-lockout
"""

from __future__ import annotations

import re
import threading
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.directory_people import GROUPS, PEOPLE
from tests.contracts.fakes.faults import FaultMiddleware, Faults

TENANT = "3f6b1c2e-7d4a-4e9b-9a51-0c8d2e4f6a10"
CLIENT_ID = "8e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
CLIENT_SECRET = "Zq8~entra.secret-value_4f1"
MOBILE_METHOD = "3179e48a-750b-4051-897c-87b9720928f7"
ALTERNATE_MOBILE_METHOD = "b6332ec1-7057-4abe-9331-3d72feddfe41"
OFFICE_METHOD = "e37fc753-ff3b-4958-9484-eaa9425c82bc"
PAGE_SIZE = 2  # small, so that paging is exercised
TOKEN_SECONDS = 3599
FILTER = re.compile(r"^(\w+) eq '((?:[^']|'')*)'$")
COMPLEXITY = (
    "The specified password does not comply with password complexity requirements. "
    "Please provide a different password."
)


def graph_error(status: int, code: str = "", message: str = "") -> JSONResponse:
    defaults = {
        400: "Request_BadRequest",
        401: "InvalidAuthenticationToken",
        404: "Request_ResourceNotFound",
        429: "TooManyRequests",
        503: "ServiceUnavailable",
    }
    body = {
        "error": {
            "code": code or defaults.get(status, "generalException"),
            "message": message or "An error occurred.",
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }
    return JSONResponse(body, status)


def fault_body(status: int) -> object:
    code = {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(status, "generalException")
    message = {429: "Too many requests.", 503: "Service is unavailable."}.get(status, "Error.")
    return {"error": {"code": code, "message": message, "innerError": {}}}


def aadsts_error(status: int, error: str, code: int, description: str) -> JSONResponse:
    trace, correlation = uuid.uuid4(), uuid.uuid4()
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return JSONResponse(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
            f"Correlation ID: {correlation} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": str(trace),
            "correlation_id": str(correlation),
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        status,
    )


def complies(password: str) -> bool:
    kinds = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ]
    return 8 <= len(password) <= 256 and sum(kinds) >= 3 and password.isascii()


def _graph_phone(number: str) -> str:
    """Graph keeps "+{country code} {subscriber number}": "+33 612345678"."""
    country, _, rest = number.partition(" ")
    return f"{country} {rest.replace(' ', '')}"


class Entra:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.url = ""
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.managers: dict[str, str] = {}
        self.phones: dict[str, list[dict[str, Any]]] = {}
        self.emails: dict[str, list[dict[str, Any]]] = {}
        self.passwords: dict[str, str] = {}
        self.force_change: dict[str, bool] = {}
        self.groups = {str(uuid.uuid4()): {"displayName": name, "members": []} for name in GROUPS}
        self.roles = {str(uuid.uuid4()): {"displayName": "Helpdesk Administrator"}}
        ids = {seed.local: str(uuid.uuid4()) for seed in PEOPLE}
        for seed in PEOPLE:
            user_id = ids[seed.local]
            self.users[user_id] = {
                "id": user_id,
                "displayName": seed.name,
                "mail": f"{seed.first}.{seed.last}@norvane.example",  # mixed case, as kept
                "userPrincipalName": f"{seed.local}@norvane.onmicrosoft.com",
                "preferredLanguage": seed.locale,
                "department": seed.department,
                "officeLocation": seed.site,
                "accountEnabled": True,
                "jobTitle": None,
            }
            if seed.manager:
                self.managers[user_id] = ids[seed.manager]
            self.phones[user_id] = [
                {
                    "id": MOBILE_METHOD,
                    "phoneNumber": _graph_phone(seed.mobile),
                    "phoneType": "mobile",
                    "smsSignInState": "notAllowedByPolicy",
                }
            ]
            self.emails[user_id] = [
                {
                    "id": "3ddfcfc8-9383-446f-83cc-3ab9be4be18f",
                    "emailAddress": f"{seed.first}@perso.example",
                }
            ]
            for group in self.groups.values():
                if group["displayName"] in seed.groups:
                    group["members"].append(user_id)
        sam = ids["sam.taylor"]
        self.phones[sam].append(
            {
                "id": OFFICE_METHOD,
                "phoneNumber": "+44 20 7946 0958 x12",
                "phoneType": "office",
                "smsSignInState": "notSupported",
            }
        )
        self.roles_of = {sam: list(self.roles)}

    def user_id(self, email: str) -> str:
        return next(i for i, u in self.users.items() if u["mail"].lower() == email.lower())

    def find_user(self, key: str) -> dict[str, Any] | None:
        if key in self.users:
            return self.users[key]
        return next(
            (u for u in self.users.values() if u["userPrincipalName"].lower() == key.lower()),
            None,
        )


def _select(
    item: dict[str, Any], request: Request, odata_type: str | None = None
) -> dict[str, Any]:
    fields = request.query_params.get("$select")
    chosen = {k: v for k, v in item.items() if not fields or k in fields.split(",")}
    return {"@odata.type": odata_type, **chosen} if odata_type else chosen


def entra_app(faults: Faults) -> tuple[ASGIApp, Entra]:
    entra = Entra()

    def not_found(key: str) -> JSONResponse:
        return graph_error(
            404,
            message=f"Resource '{key}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )

    def page(request: Request, items: list[dict[str, Any]]) -> JSONResponse:
        skip = int(request.query_params.get("$skiptoken", "0"))
        body: dict[str, Any] = {
            "@odata.context": f"{entra.url}/v1.0/$metadata#directoryObjects",
            "value": items[skip : skip + PAGE_SIZE],
        }
        if skip + PAGE_SIZE < len(items):
            query = {k: v for k, v in request.query_params.items() if k != "$skiptoken"}
            query["$skiptoken"] = str(skip + PAGE_SIZE)
            body["@odata.nextLink"] = f"{entra.url}{request.url.path}?{urlencode(query)}"
        return JSONResponse(body)

    async def token(request: Request) -> Response:
        form = parse_qs((await request.body()).decode())
        value = {k: v[0] for k, v in form.items()}
        with entra.lock:
            entra.token_requests += 1
            if request.path_params["tenant"] not in (TENANT, "norvane.example"):
                return aadsts_error(
                    400,
                    "invalid_request",
                    90002,
                    f"Tenant '{request.path_params['tenant']}' not found.",
                )
            if value.get("grant_type") != "client_credentials":
                return aadsts_error(
                    400,
                    "unsupported_grant_type",
                    70003,
                    "The app requested an unsupported grant type.",
                )
            if value.get("client_id") != CLIENT_ID:
                return aadsts_error(
                    400,
                    "unauthorized_client",
                    700016,
                    f"Application with identifier '{value.get('client_id')}' was not found in "
                    "the directory.",
                )
            if value.get("client_secret") != CLIENT_SECRET:
                return aadsts_error(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID.",
                )
            if not str(value.get("scope", "")).endswith("/.default"):
                return aadsts_error(
                    400, "invalid_scope", 1002012, "The provided value for scope is not valid."
                )
            access = f"eyJ0eXAiOiJKV1Qi.{uuid.uuid4().hex}.sig"
            entra.tokens[access] = datetime.now(UTC).timestamp() + TOKEN_SECONDS
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "ext_expires_in": TOKEN_SECONDS,
                "access_token": access,
            }
        )

    async def graph(request: Request) -> Response:
        bearer = request.headers.get("authorization", "")
        if not bearer.startswith("Bearer "):
            return graph_error(401, message="Access token is empty.")
        expires = entra.tokens.get(bearer.removeprefix("Bearer "))
        if expires is None or expires < datetime.now(UTC).timestamp():
            return graph_error(401, message="Access token has expired or is not yet valid.")
        await request.body()
        with entra.lock:
            return await route(request, request.path_params["path"].split("/"))

    async def route(request: Request, parts: list[str]) -> Response:
        method = request.method
        if parts == ["users"] and method == "GET":
            users = list(entra.users.values())
            query = request.query_params.get("$filter")
            if query:
                match = FILTER.match(query)
                if not match or match.group(1) not in ("mail", "userPrincipalName"):
                    return graph_error(400, "Request_UnsupportedQuery", "Unsupported Query.")
                wanted = match.group(2).replace("''", "'").lower()
                users = [u for u in users if str(u[match.group(1)]).lower() == wanted]
            users = users[: int(request.query_params.get("$top", "100"))]
            return JSONResponse(
                {
                    "@odata.context": f"{entra.url}/v1.0/$metadata#users",
                    "value": [_select(u, request) for u in users],
                }
            )
        if parts[0] == "users" and len(parts) >= 2:
            user = entra.find_user(parts[1])
            if user is None:
                return not_found(parts[1])
            user_id = user["id"]
            rest = parts[2:]
            if not rest and method == "GET":
                return JSONResponse(_select(user, request))
            if not rest and method == "PATCH":
                return update_user(user_id, await request.json())
            if rest == ["manager"]:
                manager = entra.managers.get(user_id)
                if manager is None:
                    return not_found("manager")
                return JSONResponse(_select(entra.users[manager], request, "#microsoft.graph.user"))
            if rest == ["memberOf"]:
                groups = [
                    _select(
                        {"id": gid, "displayName": g["displayName"]},
                        request,
                        "#microsoft.graph.group",
                    )
                    for gid, g in entra.groups.items()
                    if user_id in g["members"]
                ]
                roles = [
                    _select(
                        {"id": rid, **entra.roles[rid]}, request, "#microsoft.graph.directoryRole"
                    )
                    for rid in entra.roles_of.get(user_id, [])
                ]
                return page(request, roles + groups)
            if rest == ["authentication", "phoneMethods"]:
                return JSONResponse({"value": entra.phones.get(user_id, [])})
            if rest == ["authentication", "emailMethods"]:
                return JSONResponse({"value": entra.emails.get(user_id, [])})
        if parts == ["groups"] and method == "GET":
            match = FILTER.match(request.query_params.get("$filter", ""))
            if not match or match.group(1) != "displayName":
                return graph_error(400, "Request_UnsupportedQuery", "Unsupported Query.")
            name = match.group(2).replace("''", "'").lower()
            found = [
                _select({"id": gid, "displayName": g["displayName"]}, request)
                for gid, g in entra.groups.items()
                if g["displayName"].lower() == name
            ]
            return JSONResponse({"value": found})
        if parts[0] == "groups" and len(parts) >= 3 and parts[2] == "members":
            group = entra.groups.get(parts[1])
            if group is None:
                return not_found(parts[1])
            if parts[3:] == ["$ref"] and method == "POST":
                return add_member(group, await request.json())
            if parts[3:] == [] and method == "GET":
                members = [
                    _select(entra.users[m], request, "#microsoft.graph.user")
                    for m in group["members"]
                ]
                return page(request, members)
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")

    def update_user(user_id: str, body: dict[str, Any]) -> Response:
        profile = body.get("passwordProfile")
        if profile is not None:
            if not complies(str(profile.get("password", ""))):
                return graph_error(400, "Request_BadRequest", COMPLEXITY)
            entra.passwords[user_id] = str(profile["password"])
            entra.force_change[user_id] = bool(profile.get("forceChangePasswordNextSignIn", True))
        return Response(status_code=204)

    def add_member(group: dict[str, Any], body: dict[str, Any]) -> Response:
        reference = str(body.get("@odata.id", ""))
        member = reference.rsplit("/", 1)[-1]
        if "/directoryObjects/" not in reference or member not in entra.users:
            return graph_error(400, "Request_BadRequest", "Invalid object identifier.")
        if member in group["members"]:
            return graph_error(
                400,
                "Request_BadRequest",
                "One or more added object references already exist for the following "
                "modified properties: 'members'.",
            )
        group["members"].append(member)
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
            Route("/v1.0/{path:path}", graph, methods=["GET", "POST", "PATCH"]),
        ]
    )
    return FaultMiddleware(app, faults, fault_body), entra
