"""`AssetInventory` for the ServiceNow CMDB through the Table API.

The person is the `sys_user` with that e-mail. Their hardware is `alm_hardware` assigned to
them (model and category by display value); a device whose configuration item is a computer
(`cmdb_ci_computer`) takes its form factor from it, and its id is the CI's, the one an incident's
`cmdb_ci` names. Their licences are `alm_entitlement_user` rows (the licence they are entitled
to, `licensed_by`, by display value).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from bot.kernel.assets import Asset, AssetKind, kind_named
from bot.settings.assets import ServiceNowAssetSettings
from bot.settings.itsm import ServiceNowSettings, require
from connectors.assets.http import InventoryApi

NAME = "servicenow"
LIMIT = 200
RETIRED = "7"  # alm_hardware.install_status: 7 Retired
HARDWARE_FIELDS = (
    "sys_id,asset_tag,serial_number,model,model_category,display_name,purchase_date,"
    "assigned,install_status,ci"
)


def _value(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if isinstance(value, dict):
        return str(value.get("value") or "")
    return str(value or "")


def _display(record: dict[str, Any], field: str) -> str:
    value = record.get(field)
    if isinstance(value, dict):
        return str(value.get("display_value") or value.get("value") or "")
    return str(value or "")


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


class ServiceNowInventory:
    name = NAME

    def __init__(
        self,
        connection: ServiceNowSettings,
        settings: ServiceNowAssetSettings,
        *,
        timeout: float,
    ) -> None:
        base_url = require(connection.base_url, "servicenow__base_url")
        user = require(connection.username, "servicenow__username")
        self._api = InventoryApi(
            self.name,
            base_url,
            timeout=timeout,
            auth=httpx.BasicAuth(user, connection.password.get_secret_value()),
        )
        self._settings = settings

    async def _table(self, table: str, query: str, fields: str) -> list[dict[str, Any]]:
        found = await self._api.json(
            "GET",
            f"api/now/table/{table}",
            params={
                "sysparm_query": query,
                "sysparm_fields": fields,
                "sysparm_display_value": "all",
                "sysparm_exclude_reference_link": "true",
                "sysparm_limit": LIMIT,
            },
        )
        return list((found or {}).get("result") or [])

    async def assets_of(self, email: str) -> list[Asset]:
        owner = email.strip().lower()
        users = await self._table("sys_user", f"email={owner}", "sys_id")
        if not users:
            return []
        user = _value(users[0], "sys_id")
        hardware = await self._table(
            self._settings.hardware_table,
            f"assigned_to={user}^install_status!={RETIRED}^ORDERBYasset_tag",
            HARDWARE_FIELDS,
        )
        cis = [_value(h, "ci") for h in hardware if _value(h, "ci")]
        computers = (
            {
                _value(c, "sys_id"): _value(c, "form_factor")
                for c in await self._table(
                    "cmdb_ci_computer", "sys_idIN" + ",".join(cis), "sys_id,form_factor"
                )
            }
            if cis
            else {}
        )
        assets = [self._hardware(h, computers, owner) for h in hardware]
        for entitlement in await self._table(
            self._settings.entitlement_table,
            f"assigned_to={user}",
            "sys_id,licensed_by,sys_created_on",
        ):
            assets.append(
                Asset(
                    inventory=NAME,
                    upstream_id=_value(entitlement, "sys_id"),
                    kind=AssetKind.LICENCE,
                    model=_display(entitlement, "licensed_by"),
                    assigned=_date(_value(entitlement, "sys_created_on")),
                    owner=owner,
                )
            )
        return assets

    @staticmethod
    def _hardware(record: dict[str, Any], computers: dict[str, str], owner: str) -> Asset:
        ci = _value(record, "ci")
        category = _display(record, "model_category")
        kind = kind_named(computers.get(ci) or category)
        return Asset(
            inventory=NAME,
            upstream_id=ci or _value(record, "sys_id"),
            kind=AssetKind.DESKTOP if kind is AssetKind.OTHER and ci in computers else kind,
            model=_display(record, "model") or _display(record, "display_name"),
            tag=_value(record, "asset_tag"),
            serial=_value(record, "serial_number"),
            purchased=_date(_value(record, "purchase_date")),
            assigned=_date(_value(record, "assigned")),
            status=_display(record, "install_status"),
            owner=owner,
        )

    async def aclose(self) -> None:
        await self._api.aclose()
