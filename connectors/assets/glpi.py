"""`AssetInventory` for GLPI's REST API (`apirest.php`).

The person is found by e-mail (`search/User`, search option 5), then the items whose `users_id`
is theirs, per itemtype (computers, monitors, phones, printers, software licences) with their
dropdowns expanded (model, manufacturer, type, state); the purchase date is the item's
financial information (`with_infocoms`). GLPI's inventory number (`otherserial`) is the tag.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from bot.kernel.assets import Asset, AssetKind, InventoryUnavailable, kind_named
from bot.settings.assets import GlpiAssetSettings
from bot.settings.itsm import GlpiSettings, require
from connectors.assets.http import InventoryApi

NAME = "glpi"
EMAIL_OPTION, ID_OPTION = 5, 2
RANGE = "0-199"
KINDS = {
    "Monitor": AssetKind.MONITOR,
    "Phone": AssetKind.PHONE,
    "Printer": AssetKind.PRINTER,
    "SoftwareLicense": AssetKind.LICENCE,
}
MODEL_FIELDS = {
    "Computer": "computermodels_id",
    "Monitor": "monitormodels_id",
    "Phone": "phonemodels_id",
    "Printer": "printermodels_id",
    "SoftwareLicense": "softwares_id",
}


def _text(value: object) -> str:
    """An expanded dropdown is its name; an unset one is 0 (or "0", or "&nbsp;")."""
    text = str(value or "").strip()
    return "" if text in ("0", "&nbsp;") else text


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _kind(itemtype: str, item: dict[str, Any]) -> AssetKind:
    if itemtype in KINDS:
        return KINDS[itemtype]
    kind = kind_named(_text(item.get("computertypes_id")))
    return AssetKind.DESKTOP if kind is AssetKind.OTHER else kind


def to_asset(itemtype: str, item: dict[str, Any], owner: str) -> Asset:
    infocom = item.get("_infocoms") or {}
    model = _text(item.get(MODEL_FIELDS.get(itemtype, "")))
    maker = _text(item.get("manufacturers_id"))
    if itemtype == "SoftwareLicense":
        model = " ".join(filter(None, [model, _text(item.get("name"))])) or model
    elif maker and not model.lower().startswith(maker.lower()):
        model = f"{maker} {model}".strip()
    return Asset(
        inventory=NAME,
        upstream_id=f"{itemtype}/{item['id']}",
        kind=_kind(itemtype, item),
        model=model or _text(item.get("name")),
        tag=_text(item.get("otherserial")) or _text(item.get("name")),
        serial=_text(item.get("serial")),
        purchased=_date(infocom.get("buy_date")),
        assigned=_date(infocom.get("use_date")),
        status=_text(item.get("states_id")),
        owner=owner,
    )


class GlpiInventory:
    name = NAME

    def __init__(
        self, connection: GlpiSettings, settings: GlpiAssetSettings, *, timeout: float
    ) -> None:
        base_url = require(connection.base_url, "glpi__base_url")
        self._user_token = require(connection.user_token.get_secret_value(), "glpi__user_token")
        app_token = connection.app_token.get_secret_value()
        self._api = InventoryApi(
            self.name, base_url, timeout=timeout, headers={"app-token": app_token}
        )
        self._itemtypes = settings.itemtypes
        self._session: str | None = None

    async def _call(self, path: str, params: list[tuple[str, Any]] | None = None) -> Any:
        for attempt in (1, 2):
            if self._session is None:
                opened = await self._api.json(
                    "GET",
                    "initSession",
                    headers={"authorization": f"user_token {self._user_token}"},
                )
                self._session = str(opened["session_token"])
            try:
                return await self._api.json(
                    "GET", path, params=params, headers={"session-token": self._session}
                )
            except InventoryUnavailable as exc:
                if attempt == 2 or "ERROR_SESSION_TOKEN_INVALID" not in str(exc):
                    raise
                self._session = None  # expired: open a new session once
        raise AssertionError("unreachable")

    async def _user_id(self, email: str) -> int | None:
        found = await self._call(
            "search/User",
            [
                ("criteria[0][field]", EMAIL_OPTION),
                ("criteria[0][searchtype]", "equals"),
                ("criteria[0][value]", email),
                ("forcedisplay[0]", ID_OPTION),
            ],
        )
        rows = (found or {}).get("data") or []
        return int(rows[0][str(ID_OPTION)]) if rows else None

    async def assets_of(self, email: str) -> list[Asset]:
        owner = email.strip().lower()
        user = await self._user_id(owner)
        if user is None:
            return []
        assets = []
        for itemtype in self._itemtypes:
            items = await self._call(
                itemtype,
                [
                    ("searchText[users_id]", f"^{user}$"),
                    ("expand_dropdowns", "true"),
                    ("range", RANGE),
                ],
            )
            for item in items or []:
                full = await self._call(
                    f"{itemtype}/{int(item['id'])}",
                    [("expand_dropdowns", "true"), ("with_infocoms", "true")],
                )
                assets.append(to_asset(itemtype, full, owner))
        return assets

    async def aclose(self) -> None:
        if self._session is not None:
            with contextlib.suppress(InventoryUnavailable):  # it expires by itself
                await self._api.json("GET", "killSession", headers={"session-token": self._session})
        await self._api.aclose()
