"""`AssetInventory` for Request Tracker 5 assets, through REST2 (`/REST/2.0/assets`).

A person's assets are those whose `HeldBy` or `Owner` role is their address (AssetSQL), in the
configured catalogs; deleted, recycled and stolen ones are left out. What an asset is comes from
its custom fields (`Type`, `Model`, `Serial Number`, `Purchase Date`, `Issue Date` by default,
as in RT's assets tutorial); its name is its tag. One search returns them all, fields included.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from bot.kernel.assets import Asset, kind_named
from bot.settings.assets import RequestTrackerAssetSettings
from bot.settings.itsm import RequestTrackerSettings, require
from connectors.assets.http import InventoryApi

NAME = "request_tracker"
GONE = ("deleted", "recycled", "stolen")
FIELDS = "Name,Description,Status,Created,CustomFields,HeldBy,Owner"
PER_PAGE = 100


def asset_sql(email: str, catalogs: list[str]) -> str:
    address = _quoted(email.strip().lower())
    query = f"(HeldBy.EmailAddress = {address} OR Owner.EmailAddress = {address})"
    query += "".join(f" AND Status != '{status}'" for status in GONE)
    if catalogs:
        query += " AND (" + " OR ".join(f"Catalog = {_quoted(c)}" for c in catalogs) + ")"
    return query


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _field(item: dict[str, Any], name: str) -> str:
    for custom in item.get("CustomFields") or []:
        if custom.get("name") == name:
            values = custom.get("values") or []
            return str(values[0]).strip() if values else ""
    return ""


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def to_asset(item: dict[str, Any], fields: RequestTrackerAssetSettings, owner: str) -> Asset:
    model = _field(item, fields.model_field) or str(item.get("Description") or "")
    return Asset(
        inventory=NAME,
        upstream_id=str(item["id"]),
        kind=kind_named(_field(item, fields.type_field) or model),
        model=model or str(item.get("Name") or ""),
        tag=str(item.get("Name") or ""),
        serial=_field(item, fields.serial_field),
        purchased=_date(_field(item, fields.purchased_field)),
        assigned=_date(_field(item, fields.assigned_field)),
        status=str(item.get("Status") or ""),
        owner=owner,
    )


class RequestTrackerInventory:
    name = NAME

    def __init__(
        self,
        connection: RequestTrackerSettings,
        fields: RequestTrackerAssetSettings,
        *,
        timeout: float,
    ) -> None:
        base_url = require(connection.base_url, "request_tracker__base_url")
        token = connection.token.get_secret_value()
        user = require(connection.username, "request_tracker__username")
        self._api = InventoryApi(
            self.name,
            f"{base_url}/REST/2.0",
            timeout=timeout,
            auth=None if token else httpx.BasicAuth(user, connection.password.get_secret_value()),
            headers={"authorization": f"token {token}"} if token else None,
        )
        self._fields = fields

    async def assets_of(self, email: str) -> list[Asset]:
        owner = email.strip().lower()
        query = asset_sql(owner, self._fields.catalogs)
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            found = await self._api.json(
                "GET",
                "assets",
                params={
                    "query": query,
                    "fields": FIELDS,
                    "orderby": "id",
                    "per_page": PER_PAGE,
                    "page": page,
                },
            )
            items.extend(found.get("items") or [])
            if page >= int(found.get("pages") or 1):
                return [to_asset(item, self._fields, owner) for item in items]
            page += 1

    async def aclose(self) -> None:
        await self._api.aclose()
