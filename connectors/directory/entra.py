"""`Directory` for Microsoft Entra ID, through Microsoft Graph v1.0 as an application.

People are found by `mail`, then by user principal name; their manager, groups
(`memberOf`) and the phone numbers and e-mail addresses registered as authentication methods
say who approves for them and where a code can reach them. A new password is set with
`passwordProfile`. Entra ID's smart lockout is neither readable nor clearable through Graph:
`locked` is never known, and `unlock` raises `UnlockUnsupported` instead of pretending.
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
    UnlockUnsupported,
)
from bot.settings.directory import EntraSettings, require
from connectors.directory.attributes import language_of, phone_destinations
from connectors.directory.http import DirectoryHttp, TokenRequest

NAME = "entra"
USER_FIELDS = (
    "id,displayName,mail,userPrincipalName,preferredLanguage,department,officeLocation,"
    "accountEnabled"
)
GROUP_TYPE = "#microsoft.graph.group"
USER_TYPE = "#microsoft.graph.user"
# Entra ID's password policy for cloud accounts is fixed: 8 to 256 characters, three of four
# kinds of characters; Graph refuses any breach with one message, the length tells them apart.
MIN_PASSWORD_LENGTH = 8
COMPLEXITY_REFUSAL = "password complexity"
ALREADY_MEMBER = "already exist"
SMART_LOCKOUT = (
    "Microsoft Graph can neither read nor clear Entra ID's smart lockout; it lifts by itself "
    "after the tenant's lockout duration (60 s by default, longer after repeated lockouts)"
)
# Authentication phone methods: a mobile receives texts, an office line only calls.
PHONE_KINDS = {"mobile": "mobile", "alternateMobile": "alternate-mobile", "office": "office"}


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _graph_error(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of Graph's `{"error": {"code", "message"}}`."""
    try:
        error = response.json()["error"]
        return str(error.get("code", "")), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return "", response.text[:300]


class EntraDirectory:
    name = NAME

    def __init__(
        self, settings: EntraSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        tenant = require(settings.tenant_id, "entra__tenant_id")
        client_id = require(settings.client_id, "entra__client_id")
        secret = require(settings.client_secret.get_secret_value(), "entra__client_secret")
        graph = settings.graph_url.rstrip("/")
        self._graph = f"{graph}/v1.0"
        self._http = DirectoryHttp(
            NAME,
            settings,
            TokenRequest(
                f"{settings.login_url.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0/token",
                {
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                    "scope": f"{graph}/.default",
                },
            ),
            secrets=[secret],
            transport=transport,
        )

    async def _pages(self, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every item of a collection, following `@odata.nextLink` (it carries the query)."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        query: dict[str, str] | None = params
        while next_url:
            if not next_url.startswith(self._graph):
                raise DirectoryError(
                    backend=NAME, problem=f"a next page outside Microsoft Graph: {next_url!r}"
                )
            page = await self._http.json("GET", next_url, params=query)
            items.extend(page.get("value") or [])
            next_url, query = page.get("@odata.nextLink"), None
        return items

    async def _user(self, email: str) -> dict[str, Any] | None:
        address = email.strip()
        if "@" not in address:
            return None
        found = await self._http.json(
            "GET",
            f"{self._graph}/users",
            params={"$filter": f"mail eq {_odata_string(address)}", "$select": USER_FIELDS},
        )
        if found.get("value"):
            return dict(found["value"][0])
        response = await self._http.request(
            "GET",
            f"{self._graph}/users/{quote(address, safe='@')}",
            params={"$select": USER_FIELDS},
        )
        if response.status_code == httpx.codes.NOT_FOUND:
            return None
        if not response.is_success:
            raise self._http.unexpected(response)
        return dict(response.json())

    async def _existing(self, email: str) -> dict[str, Any]:
        user = await self._user(email)
        if user is None:
            raise PersonNotFound(backend=NAME, email=email)
        return user

    async def _manager(self, user_id: str) -> str | None:
        response = await self._http.request(
            "GET",
            f"{self._graph}/users/{user_id}/manager",
            params={"$select": "mail,userPrincipalName"},
        )
        if response.status_code == httpx.codes.NOT_FOUND:  # nobody set as manager
            return None
        if not response.is_success:
            raise self._http.unexpected(response)
        manager = response.json()
        address = manager.get("mail") or manager.get("userPrincipalName")
        return str(address).lower() if address else None

    async def _groups(self, user_id: str) -> frozenset[str]:
        memberships = await self._pages(
            f"{self._graph}/users/{user_id}/memberOf", {"$select": "id,displayName"}
        )
        return frozenset(
            str(m["displayName"])
            for m in memberships
            if m.get("@odata.type") == GROUP_TYPE and m.get("displayName")
        )

    async def _destinations(self, user_id: str) -> tuple[CodeDestination, ...]:
        methods = f"{self._graph}/users/{user_id}/authentication"
        phones = await self._http.json("GET", f"{methods}/phoneMethods")
        emails = await self._http.json("GET", f"{methods}/emailMethods")
        destinations: list[CodeDestination] = []
        for phone in phones.get("value") or []:
            key = PHONE_KINDS.get(str(phone.get("phoneType")))
            if key:
                destinations += phone_destinations(
                    key, phone.get("phoneNumber"), sms=key != "office"
                )
        for index, method in enumerate(emails.get("value") or []):
            if method.get("emailAddress"):
                key = "email" if index == 0 else f"email-{index + 1}"
                destinations.append(
                    CodeDestination(key, DestinationKind.EMAIL, str(method["emailAddress"]))
                )
        return tuple(destinations)

    def _person(self, user: dict[str, Any], **more: Any) -> Person:
        address = user.get("mail") or user.get("userPrincipalName") or ""
        return Person(
            email=str(address).lower(),
            name=str(user.get("displayName") or address),
            language=language_of(user.get("preferredLanguage")),
            department=user.get("department") or None,
            site=user.get("officeLocation") or None,
            disabled=user.get("accountEnabled") is False,
            **more,
        )

    async def lookup(self, email: str) -> Person | None:
        user = await self._user(email)
        if user is None:
            return None
        user_id = str(user["id"])
        return self._person(
            user,
            manager=await self._manager(user_id),
            groups=await self._groups(user_id),
            destinations=await self._destinations(user_id),
        )

    async def set_password(self, email: str, new_password: str) -> None:
        user = await self._existing(email)
        response = await self._http.request(
            "PATCH",
            f"{self._graph}/users/{user['id']}",
            json_body={
                "passwordProfile": {
                    "forceChangePasswordNextSignIn": False,
                    "password": new_password,
                }
            },
            redact=[new_password],
        )
        if response.is_success:
            return
        code, message = _graph_error(response)
        if code == "Request_BadRequest" and COMPLEXITY_REFUSAL in message:
            short = len(new_password) < MIN_PASSWORD_LENGTH
            raise PasswordRejected(
                backend=NAME,
                reason=PolicyReason.TOO_SHORT if short else PolicyReason.TOO_SIMPLE,
                detail=message,
            )
        raise self._http.unexpected(response, [new_password])

    async def unlock(self, email: str) -> None:
        await self._existing(email)
        raise UnlockUnsupported(backend=NAME, reason=SMART_LOCKOUT)

    async def _group_id(self, name: str) -> str | None:
        found = await self._http.json(
            "GET",
            f"{self._graph}/groups",
            params={"$filter": f"displayName eq {_odata_string(name)}", "$select": "id"},
        )
        groups = found.get("value") or []
        return str(groups[0]["id"]) if groups else None

    async def add_to_group(self, email: str, group: str) -> None:
        user = await self._existing(email)
        group_id = await self._group_id(group)
        if group_id is None:
            raise DirectoryError(backend=NAME, problem=f"no group named {group!r}")
        response = await self._http.request(
            "POST",
            f"{self._graph}/groups/{group_id}/members/$ref",
            json_body={"@odata.id": f"{self._graph}/directoryObjects/{user['id']}"},
        )
        if response.is_success:
            return
        if (
            response.status_code == httpx.codes.BAD_REQUEST
            and ALREADY_MEMBER in (_graph_error(response)[1])
        ):
            return
        raise self._http.unexpected(response)

    async def members(self, group: str) -> list[Person]:
        """The users of the group with their own attributes (no manager, groups or codes)."""
        group_id = await self._group_id(group)
        if group_id is None:
            return []
        members = await self._pages(
            f"{self._graph}/groups/{group_id}/members", {"$select": USER_FIELDS}
        )
        return [self._person(m) for m in members if m.get("@odata.type") == USER_TYPE]

    async def health(self) -> list[HealthCheck]:
        return await self._http.health(
            "Microsoft Graph",
            f"{self._graph}/users",
            {"$top": "1", "$select": "id"},
            hint="check the User.Read.All permission",
        )

    async def aclose(self) -> None:
        await self._http.aclose()
