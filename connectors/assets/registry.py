"""The registry of asset inventories, chosen by `GUICHET_ASSETS__BACKEND`.

The inventories that are also ITSM tools are reached with that tool's connection settings
(`GUICHET_ITSM__*`); a factory checks them and names the missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.kernel.assets import AssetInventory
from bot.kernel.registry import Registry
from bot.settings.assets import AssetSettings
from bot.settings.itsm import ItsmSettings
from connectors.assets.builtin import BuiltinInventory
from connectors.assets.glpi import GlpiInventory
from connectors.assets.request_tracker import RequestTrackerInventory
from connectors.assets.servicenow import ServiceNowInventory


@dataclass(frozen=True)
class InventoryContext:
    assets: AssetSettings
    itsm: ItsmSettings


InventoryFactory = Callable[[InventoryContext], AssetInventory]
INVENTORIES: Registry[InventoryFactory] = Registry("asset inventory")


def build_inventory(context: InventoryContext) -> AssetInventory:
    return INVENTORIES.get(context.assets.backend)(context)


INVENTORIES.register("builtin", lambda c: BuiltinInventory(c.assets.builtin))
INVENTORIES.register(
    "request_tracker",
    lambda c: RequestTrackerInventory(
        c.itsm.request_tracker, c.assets.request_tracker, timeout=c.itsm.timeout_seconds
    ),
)
INVENTORIES.register(
    "glpi", lambda c: GlpiInventory(c.itsm.glpi, c.assets.glpi, timeout=c.itsm.timeout_seconds)
)
INVENTORIES.register(
    "servicenow",
    lambda c: ServiceNowInventory(
        c.itsm.servicenow, c.assets.servicenow, timeout=c.itsm.timeout_seconds
    ),
)
