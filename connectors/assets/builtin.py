"""The demo inventory of `make run`: the devices and licences of the demo directory's people.

Marie Dupont's laptop is past the usual replacement age, so that "my laptop is slow" shows the
replacement offer; she also holds a Visio licence, so that ordering one says she has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.kernel.assets import Asset, AssetKind
from bot.settings.assets import BuiltinAssetSettings

NAME = "builtin"


def _asset(
    number: int,
    kind: AssetKind,
    model: str,
    tag: str,
    serial: str,
    purchased: date,
    status: str = "in use",
) -> Asset:
    return Asset(
        inventory=NAME,
        upstream_id=str(number),
        kind=kind,
        model=model,
        tag=tag,
        serial=serial,
        purchased=purchased,
        assigned=purchased,
        status=status,
    )


_HELD: dict[str, tuple[Asset, ...]] = {
    "marie.dupont": (
        _asset(1, AssetKind.LAPTOP, "Dell Latitude 5550", "PC-04512", "7XK2M31", date(2021, 3, 15)),
        _asset(2, AssetKind.MONITOR, 'Dell P2422H 24"', "MON-01877", "CN0F2K", date(2021, 3, 15)),
        _asset(3, AssetKind.LICENCE, "Microsoft Visio Plan 2", "VISIO-0031", "", date(2024, 9, 2)),
    ),
    "john.smith": (
        _asset(4, AssetKind.LAPTOP, "Dell Latitude 5550", "PC-05120", "9QK7L22", date(2024, 11, 4)),
        _asset(5, AssetKind.MONITOR, 'Dell P2425H 24"', "MON-02210", "CN0H7P", date(2024, 11, 4)),
        _asset(6, AssetKind.PHONE, "Apple iPhone 15", "TEL-00781", "F2LXK9", date(2024, 1, 10)),
    ),
    "claire.martin": (
        _asset(7, AssetKind.LAPTOP, "Dell Latitude 7450", "PC-04980", "4HV8M01", date(2023, 6, 1)),
        _asset(8, AssetKind.MONITOR, 'Dell U2723QE 27"', "MON-02001", "CN0U27", date(2023, 6, 1)),
        _asset(9, AssetKind.LICENCE, "Power BI Pro", "PBI-0012", "", date(2023, 6, 1)),
    ),
    "sam.taylor": (
        _asset(10, AssetKind.LAPTOP, "Lenovo ThinkPad T14", "PC-03307", "PF3K2B", date(2020, 2, 3)),
        _asset(11, AssetKind.DESKTOP, "Dell OptiPlex 7010", "PC-03310", "5TR8Q1", date(2022, 2, 3)),
    ),
}


@dataclass
class BuiltinInventory:
    settings: BuiltinAssetSettings = field(default_factory=BuiltinAssetSettings)
    name: str = NAME

    async def assets_of(self, email: str) -> list[Asset]:
        local, _, domain = email.strip().lower().partition("@")
        if domain != self.settings.domain:
            return []
        address = f"{local}@{domain}"
        return [asset.model_copy(update={"owner": address}) for asset in _HELD.get(local, ())]

    async def aclose(self) -> None:
        return None
