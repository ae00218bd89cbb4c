"""A local Keycloak for the tests: the OpenID Connect token endpoint of a realm and the admin
REST API calls Guichet makes, with Keycloak's payloads and errors.

- Token endpoint `POST /realms/{realm}/protocol/openid-connect/token` (client credentials, or the
  password grant of an admin user); 401 `unauthorized_client` "Invalid client or Invalid client
  credentials", 401 `invalid_grant` "Invalid user credentials", 404 "Realm does not exist":
  https://www.keycloak.org/docs/latest/securing_apps/#_client_credentials_grant
- Admin REST API: https://www.keycloak.org/docs-api/latest/rest-api/index.html
  `GET /admin/realms/{realm}/users?email=&exact=true` (UserRepresentation: id, username,
  firstName, lastName, email, emailVerified, enabled, attributes as lists of strings, `locale`
  among them), `GET /users/{id}/groups`, `PUT /users/{id}/groups/{groupId}`,
  `GET /groups?search=&exact=true` (the matching groups within their parents' `subGroups`),
  `GET /groups/{id}/members?first=&max=`, 404 `{"error": "User not found"}`.
- `PUT /users/{id}/reset-password` with a CredentialRepresentation; a password policy refusal is
  400 `{"error": <message key>, "error_description": <English text>}` (UserResource.resetPassword
  throws ErrorResponseException with the PasswordPolicyNotMetException's key and the admin theme's
  message, e.g. `invalidPasswordMinLengthMessage`, "Invalid password: minimum length 12.";
  `invalidPasswordHistoryMessage`, "Invalid password: must not be equal to any of last 3
  passwords."; see themes/.../admin/messages/messages_en.properties in keycloak/keycloak and
  https://github.com/keycloak/keycloak/issues/28416).
- Brute-force detection: `GET /attack-detection/brute-force/users/{id}` →
  `{"numFailures", "disabled", "lastIPFailure", "lastFailure"}`; `DELETE` clears the failures
  (AttackDetectionResource).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.directory_people import DOMAIN, GROUPS, PEOPLE
from tests.contracts.fakes.faults import FaultMiddleware, Faults

REALM = "norvane"
CLIENT_ID = "guichet"
CLIENT_SECRET = "kc-9f2b6d1e-secret-3a7c"
PUBLIC_CLIENT_ID = "admin-cli"  # public: the password grant of an admin user
ADMIN_USER = "guichet-admin"
ADMIN_PASSWORD = "kc-admin-Pa55!word"
MIN_LENGTH = 12
HISTORY = 3
TOKEN_SECONDS = 300
PARENT_GROUP = "IT"  # service-desk and laptop-admins are its subgroups


def keycloak_error(status: int) -> object:
    return {
        "error": {429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "unknown_error")
    }


def digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


class Keycloak:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens: dict[str, float] = {}
        self.token_requests = 0
        self.users: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[str]] = {}
        self.failures: dict[str, dict[str, Any]] = {}
        self.memberships: dict[str, set[str]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        parent = str(uuid.uuid4())
        self.groups[parent] = {"id": parent, "name": PARENT_GROUP, "path": f"/{PARENT_GROUP}"}
        for name in GROUPS:
            group_id = str(uuid.uuid4())
            under_it = name in ("service-desk", "laptop-admins")
            path = f"/{PARENT_GROUP}/{name}" if under_it else f"/{name}"
            self.groups[group_id] = {"id": group_id, "name": name, "path": path}
        for seed in PEOPLE:
            user_id = str(uuid.uuid4())
            attributes: dict[str, list[str]] = {
                "locale": [seed.locale.split("-")[0]],
                "department": [seed.department],
                "site": [seed.site],
                "phoneNumber": [seed.mobile],
            }
            if seed.manager:  # by username for some, by e-mail for others: both are seen
                manager = seed.manager if seed.local == "sam.taylor" else f"{seed.manager}@{DOMAIN}"
                attributes["manager"] = [manager]
            self.users[user_id] = {
                "id": user_id,
                "username": seed.local,
                "firstName": seed.first,
                "lastName": seed.last,
                "email": seed.email,
                "emailVerified": True,
                "enabled": True,
                "createdTimestamp": int(time.time() * 1000),
                "totp": False,
                "attributes": attributes,
                "requiredActions": [],
            }
            self.memberships[user_id] = {
                gid for gid, g in self.groups.items() if g["name"] in seed.groups
            }

    def user_id(self, email: str) -> str:
        return next(i for i, u in self.users.items() if u["email"] == email.lower())

    def lock_out(self, user_id: str) -> None:
        """Brute-force detection after too many wrong passwords (a temporary lockout)."""
        self.failures[user_id] = {
            "numFailures": 30,
            "disabled": True,
            "lastIPFailure": "192.0.2.44",
            "lastFailure": int(time.time() * 1000),
        }

    def group_tree(self, group: dict[str, Any]) -> dict[str, Any]:
        """A matching group as the search answers it: within its parent's subGroups."""
        found = {"id": group["id"], "name": group["name"], "path": group["path"], "subGroups": []}
        if group["path"].count("/") == 1:
            return found
        parent = next(g for g in self.groups.values() if g["name"] == PARENT_GROUP)
        return {**parent, "subGroups": [found], "subGroupCount": 1}


def _brief(user: dict[str, Any], request: Request) -> dict[str, Any]:
    if request.query_params.get("briefRepresentation") == "true":
        return {k: v for k, v in user.items() if k != "attributes"}
    return user


def keycloak_app(faults: Faults) -> tuple[ASGIApp, Keycloak]:
    keycloak = Keycloak()

    async def token(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        with keycloak.lock:
            keycloak.token_requests += 1
            if request.path_params["realm"] not in (REALM, "master"):
                return JSONResponse({"error": "Realm does not exist"}, 404)
            grant, client = form.get("grant_type"), form.get("client_id")
            confidential = client == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET
            public = client == PUBLIC_CLIENT_ID and grant == "password"
            if not (confidential or public):
                return JSONResponse(
                    {
                        "error": "unauthorized_client",
                        "error_description": "Invalid client or Invalid client credentials",
                    },
                    401,
                )
            if grant == "password" and (
                form.get("username") != ADMIN_USER or form.get("password") != ADMIN_PASSWORD
            ):
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Invalid user credentials"},
                    401,
                )
            if grant not in ("password", "client_credentials"):
                return JSONResponse(
                    {
                        "error": "unsupported_grant_type",
                        "error_description": "Unsupported grant_type",
                    },
                    400,
                )
            access = f"eyJhbGciOiJSUzI1NiJ9.{uuid.uuid4().hex}.sig"
            keycloak.tokens[access] = time.time() + TOKEN_SECONDS
        return JSONResponse(
            {
                "access_token": access,
                "expires_in": TOKEN_SECONDS,
                "refresh_expires_in": 0,
                "token_type": "Bearer",
                "not-before-policy": 0,
                "scope": "profile email",
            }
        )

    async def admin(request: Request) -> Response:
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ")
        if keycloak.tokens.get(bearer, 0) < time.time():
            return JSONResponse({"error": "HTTP 401 Unauthorized"}, 401)
        if request.path_params["realm"] != REALM:
            return JSONResponse({"error": "Realm not found."}, 404)
        await request.body()
        with keycloak.lock:
            return await route(request, request.path_params["path"].split("/"))

    async def route(request: Request, parts: list[str]) -> Response:
        method, query = request.method, request.query_params
        if parts == ["users"] and method == "GET":
            users = list(keycloak.users.values())
            exact = query.get("exact") == "true"
            for field in ("email", "username"):
                if field in query:
                    wanted = query[field].lower()
                    users = [
                        u for u in users if (u[field] == wanted if exact else wanted in u[field])
                    ]
            first, most = int(query.get("first", "0")), int(query.get("max", "100"))
            return JSONResponse([_brief(u, request) for u in users[first : first + most]])
        if parts[0] == "users" and len(parts) >= 2:
            user = keycloak.users.get(parts[1])
            if user is None:
                return JSONResponse({"error": "User not found"}, 404)
            return await user_route(request, user, parts[2:])
        if parts == ["groups"] and method == "GET":
            search = query.get("search", "")
            exact = query.get("exact") == "true"
            found = [
                keycloak.group_tree(g)
                for g in keycloak.groups.values()
                if (g["name"] == search if exact else search.lower() in g["name"].lower())
            ]
            return JSONResponse(found)
        if parts[0] == "groups" and parts[2:] == ["members"] and method == "GET":
            if parts[1] not in keycloak.groups:
                return JSONResponse({"error": "Could not find group by id"}, 404)
            members = [
                u for uid, u in keycloak.users.items() if parts[1] in keycloak.memberships[uid]
            ]
            first, most = int(query.get("first", "0")), int(query.get("max", "100"))
            return JSONResponse(members[first : first + most])
        if parts[:3] == ["attack-detection", "brute-force", "users"] and len(parts) == 4:
            if method == "DELETE":
                keycloak.failures.pop(parts[3], None)
                return Response(status_code=204)
            status = keycloak.failures.get(
                parts[3],
                {"numFailures": 0, "disabled": False, "lastIPFailure": "n/a", "lastFailure": 0},
            )
            return JSONResponse(status)
        return JSONResponse({"error": "HTTP 404 Not Found"}, 404)

    async def user_route(request: Request, user: dict[str, Any], rest: list[str]) -> Response:
        user_id = user["id"]
        if rest == [] and request.method == "GET":
            return JSONResponse(user)
        if rest == ["groups"] and request.method == "GET":
            return JSONResponse(
                [
                    {"id": gid, "name": g["name"], "path": g["path"]}
                    for gid, g in keycloak.groups.items()
                    if gid in keycloak.memberships[user_id]
                ]
            )
        if rest[:1] == ["groups"] and len(rest) == 2 and request.method == "PUT":
            if rest[1] not in keycloak.groups:
                return JSONResponse({"error": "Could not find group by id"}, 404)
            keycloak.memberships[user_id].add(rest[1])
            return Response(status_code=204)
        if rest == ["reset-password"] and request.method == "PUT":
            return reset_password(user_id, await request.json())
        return JSONResponse({"error": "HTTP 404 Not Found"}, 404)

    def reset_password(user_id: str, credential: dict[str, Any]) -> Response:
        value = credential.get("value")
        if value is None:
            return JSONResponse({"error": "No password provided"}, 400)
        if not str(value).strip():
            return JSONResponse({"error": "Empty password not allowed"}, 400)
        if len(value) < MIN_LENGTH:
            return JSONResponse(
                {
                    "error": "invalidPasswordMinLengthMessage",
                    "error_description": f"Invalid password: minimum length {MIN_LENGTH}.",
                },
                400,
            )
        history = keycloak.history.setdefault(user_id, [])
        if digest(value) in history:
            return JSONResponse(
                {
                    "error": "invalidPasswordHistoryMessage",
                    "error_description": "Invalid password: must not be equal to any of last "
                    f"{HISTORY} passwords.",
                },
                400,
            )
        history.append(digest(value))
        del history[:-HISTORY]
        actions = keycloak.users[user_id]["requiredActions"]
        if credential.get("temporary") is True:
            actions.append("UPDATE_PASSWORD")
        elif "UPDATE_PASSWORD" in actions:
            actions.remove("UPDATE_PASSWORD")
        return Response(status_code=204)

    app = Starlette(
        routes=[
            Route("/realms/{realm}/protocol/openid-connect/token", token, methods=["POST"]),
            Route(
                "/admin/realms/{realm}/{path:path}",
                admin,
                methods=["GET", "PUT", "POST", "DELETE"],
            ),
        ]
    )
    return FaultMiddleware(app, faults, keycloak_error), keycloak
