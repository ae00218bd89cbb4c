"""`Directory` for Keycloak, through its admin REST API (`/admin/realms/{realm}`).

People are found by e-mail; their language is Keycloak's `locale` attribute, and department,
site, manager and mobile number are user attributes named in the settings. `locked` and
`unlock` are brute-force detection's (`attack-detection/brute-force/users/{id}`): a temporary
lockout is cleared; an account Keycloak disabled stays disabled (an agent decides). A new
password goes through `reset-password`, and the realm's password policy answers with its
message keys (`invalidPasswordMinLengthMessage`...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from bot.kernel.directory import (
    CodeDestination,
    DestinationKind,
    DirectoryError,
    HealthCheck,
    PasswordRejected,
    Person,
    PersonNotFound,
    PolicyReason,
)
from bot.settings.directory import KeycloakSettings, require
from connectors.directory.attributes import language_of, phone_destinations
from connectors.directory.http import DirectoryHttp, TokenRequest

NAME = "keycloak"
PAGE_SIZE = 100
# The message keys of Keycloak's password policies (PasswordPolicyNotMetException).
POLICY_REASONS: dict[str, PolicyReason] = {
    "invalidPasswordMinLengthMessage": PolicyReason.TOO_SHORT,
    "invalidPasswordHistoryMessage": PolicyReason.IN_HISTORY,
    "invalidPasswordNotRecentlyUsedMessage": PolicyReason.IN_HISTORY,
    "invalidPasswordMinDigitsMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordMinLowerCaseCharsMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordMinUpperCaseCharsMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordMinSpecialCharsMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordNotUsernameMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordNotContainsUsernameMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordNotEmailMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordRegexPatternMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordBlacklistedMessage": PolicyReason.TOO_SIMPLE,
    "invalidPasswordMaxLengthMessage": PolicyReason.OTHER,
    "invalidPasswordGenericMessage": PolicyReason.OTHER,
}
# Keycloak's answer when the history policy's IllegalStateException escapes the policy check.
OLD_PASSWORDS = "old passwords"


def _first(attributes: dict[str, Any], name: str) -> str | None:
    values = attributes.get(name) or []
    return str(values[0]) if values and values[0] else None


def _groups_named(groups: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    """The group of that name in a tree of groups (the search answers with their parents)."""
    for group in groups:
        if group.get("name") == name:
            return group
        found = _groups_named(group.get("subGroups") or [], name)
        if found is not None:
            return found
    return None


class KeycloakDirectory:
    name = NAME

    def __init__(
        self, settings: KeycloakSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        base = require(settings.base_url, "keycloak__base_url").rstrip("/")
        realm = quote(require(settings.realm, "keycloak__realm"), safe="")
        auth_realm = quote(settings.auth_realm or settings.realm, safe="")
        client_id = require(settings.client_id, "keycloak__client_id")
        client_secret = settings.client_secret.get_secret_value()
        password = settings.password.get_secret_value()
        form = {"client_id": client_id}
        if settings.username:  # an admin user: password grant
            form |= {
                "grant_type": "password",
                "username": settings.username,
                "password": require(password, "keycloak__password"),
            }
        else:  # a service account: client credentials
            form |= {"grant_type": "client_credentials"}
            require(client_secret, "keycloak__client_secret")
        if client_secret:
            form["client_secret"] = client_secret
        self._settings = settings
        self._admin = f"{base}/admin/realms/{realm}"
        self._http = DirectoryHttp(
            NAME,
            settings,
            TokenRequest(f"{base}/realms/{auth_realm}/protocol/openid-connect/token", form),
            secrets=[client_secret, password],
            transport=transport,
        )

    async def _users(self, **query: str) -> list[dict[str, Any]]:
        found = await self._http.json(
            "GET",
            f"{self._admin}/users",
            params={"exact": "true", "briefRepresentation": "false", **query},
        )
        return list(found or [])

    async def _user(self, email: str) -> dict[str, Any] | None:
        address = email.strip().lower()
        if "@" not in address:
            return None
        users = await self._users(email=address)
        return next((u for u in users if str(u.get("email", "")).lower() == address), None)

    async def _existing(self, email: str) -> dict[str, Any]:
        user = await self._user(email)
        if user is None:
            raise PersonNotFound(backend=NAME, email=email)
        return user

    async def _manager(self, value: str | None) -> str | None:
        """The manager attribute holds an e-mail address or a username."""
        if not value or "@" in value:
            return value.lower() if value else None
        users = await self._users(username=value)
        email = next((u.get("email") for u in users if u.get("username") == value.lower()), None)
        return str(email).lower() if email else None

    def _person(self, user: dict[str, Any], **more: Any) -> Person:
        attributes = user.get("attributes") or {}
        settings = self._settings
        full_name = f"{user.get('firstName') or ''} {user.get('lastName') or ''}".strip()
        return Person(
            email=str(user.get("email", "")).lower(),
            name=full_name or str(user.get("username", "")),
            language=language_of(_first(attributes, "locale")),
            department=_first(attributes, settings.department_attribute),
            site=_first(attributes, settings.site_attribute),
            disabled=user.get("enabled") is False,
            **more,
        )

    async def lookup(self, email: str) -> Person | None:
        user = await self._user(email)
        if user is None:
            return None
        user_id = quote(str(user["id"]), safe="")
        attributes = user.get("attributes") or {}
        groups = await self._http.json("GET", f"{self._admin}/users/{user_id}/groups")
        status = await self._http.json(
            "GET", f"{self._admin}/attack-detection/brute-force/users/{user_id}"
        )
        destinations = phone_destinations(
            "mobile", _first(attributes, self._settings.phone_attribute)
        )
        if user.get("emailVerified"):
            address = str(user["email"]).lower()
            destinations += (CodeDestination("email", DestinationKind.EMAIL, address),)
        return self._person(
            user,
            manager=await self._manager(_first(attributes, self._settings.manager_attribute)),
            groups=frozenset(str(g["name"]) for g in groups or [] if g.get("name")),
            locked=bool((status or {}).get("disabled")),
            destinations=destinations,
        )

    async def set_password(self, email: str, new_password: str) -> None:
        user = await self._existing(email)
        response = await self._http.request(
            "PUT",
            f"{self._admin}/users/{quote(str(user['id']), safe='')}/reset-password",
            json_body={"type": "password", "value": new_password, "temporary": False},
            redact=[new_password],
        )
        if response.is_success:
            return
        if response.status_code == httpx.codes.BAD_REQUEST:
            try:
                body = response.json()
                key = str(body.get("error", ""))
                detail = str(body.get("error_description") or key)
            except (ValueError, AttributeError):
                key = detail = response.text[:300]
            if key in POLICY_REASONS or key.startswith("invalidPassword"):
                reason = POLICY_REASONS.get(key, PolicyReason.OTHER)
                raise PasswordRejected(backend=NAME, reason=reason, detail=detail)
            if OLD_PASSWORDS in key:
                raise PasswordRejected(backend=NAME, reason=PolicyReason.IN_HISTORY, detail=key)
        raise self._http.unexpected(response, [new_password])

    async def unlock(self, email: str) -> None:
        user = await self._existing(email)
        response = await self._http.request(
            "DELETE",
            f"{self._admin}/attack-detection/brute-force/users/{quote(str(user['id']), safe='')}",
        )
        if not response.is_success:
            raise self._http.unexpected(response)

    async def _group(self, name: str) -> dict[str, Any] | None:
        found = await self._http.json(
            "GET",
            f"{self._admin}/groups",
            params={"search": name, "exact": "true", "briefRepresentation": "true"},
        )
        return _groups_named(list(found or []), name)

    async def add_to_group(self, email: str, group: str) -> None:
        user = await self._existing(email)
        found = await self._group(group)
        if found is None:
            raise DirectoryError(backend=NAME, problem=f"no group named {group!r}")
        user_id, group_id = quote(str(user["id"]), safe=""), quote(str(found["id"]), safe="")
        await self._http.json("PUT", f"{self._admin}/users/{user_id}/groups/{group_id}")

    async def members(self, group: str) -> list[Person]:
        """The users of the group with their own attributes (no manager, groups or codes)."""
        found = await self._group(group)
        if found is None:
            return []
        url = f"{self._admin}/groups/{quote(str(found['id']), safe='')}/members"
        users: list[dict[str, Any]] = []
        while True:
            page = await self._http.json(
                "GET",
                url,
                params={"first": str(len(users)), "max": str(PAGE_SIZE)},
            )
            users.extend(page or [])
            if len(page or []) < PAGE_SIZE:
                return [self._person(u) for u in users if u.get("email")]

    async def health(self) -> list[HealthCheck]:
        return await self._http.health(
            "Keycloak admin API",
            f"{self._admin}/users",
            {"max": "1", "briefRepresentation": "true"},
            hint="check the view-users role",
        )

    async def aclose(self) -> None:
        await self._http.aclose()
