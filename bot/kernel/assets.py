"""The employee's devices and licences, as an asset inventory knows them.

Inventories (Request Tracker assets, GLPI, the ServiceNow CMDB, the demo `builtin`) live in
`connectors.assets` and are chosen by name (`GUICHET_ASSETS__BACKEND`) from its registry. Guichet
only reads them: to propose the affected device when a ticket is filed (its id then goes on the
ticket, and to the ITSM tool when that tool is the inventory), to know a laptop's age, to show
an agent the requester's devices and to see the licences someone already has.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel

from bot.kernel.errors import GuichetError
from bot.kernel.i18n import N_

DAYS_PER_YEAR = 365.25


class AssetKind(StrEnum):
    LAPTOP = "laptop"
    DESKTOP = "desktop"
    MONITOR = "monitor"
    PHONE = "phone"
    TABLET = "tablet"
    PRINTER = "printer"
    LICENCE = "licence"
    OTHER = "other"


KIND_NAMES: dict[str, str] = {
    AssetKind.LAPTOP: N_("laptop"),
    AssetKind.DESKTOP: N_("desktop computer"),
    AssetKind.MONITOR: N_("monitor"),
    AssetKind.PHONE: N_("phone"),
    AssetKind.TABLET: N_("tablet"),
    AssetKind.PRINTER: N_("printer"),
    AssetKind.LICENCE: N_("licence"),
    AssetKind.OTHER: N_("other device"),
}
HARDWARE: frozenset[AssetKind] = frozenset(AssetKind) - {AssetKind.LICENCE}
COMPUTERS: frozenset[AssetKind] = frozenset({AssetKind.LAPTOP, AssetKind.DESKTOP})

# What inventories call their kinds (RT's "Type" values, GLPI itemtypes, ServiceNow model
# categories), folded to lower case; the first word found in the name decides.
KIND_WORDS: tuple[tuple[str, AssetKind], ...] = (
    ("laptop", AssetKind.LAPTOP),
    ("notebook", AssetKind.LAPTOP),
    ("portable", AssetKind.LAPTOP),
    ("desktop", AssetKind.DESKTOP),
    ("workstation", AssetKind.DESKTOP),
    ("monitor", AssetKind.MONITOR),
    ("screen", AssetKind.MONITOR),
    ("display", AssetKind.MONITOR),
    ("écran", AssetKind.MONITOR),
    ("phone", AssetKind.PHONE),
    ("tablet", AssetKind.TABLET),
    ("printer", AssetKind.PRINTER),
    ("licen", AssetKind.LICENCE),
    ("software", AssetKind.LICENCE),
    ("computer", AssetKind.DESKTOP),
)


def kind_named(name: str) -> AssetKind:
    """An inventory's own name for a kind ("Laptop Computer", "Monitor") as Guichet's kind."""
    folded = name.strip().lower()
    return next((kind for word, kind in KIND_WORDS if word in folded), AssetKind.OTHER)


class Asset(BaseModel, frozen=True):
    """One device or licence, held by one person (`owner`, their work e-mail)."""

    inventory: str  # the backend it comes from: "request_tracker", "glpi", ...
    upstream_id: str  # its id there: RT's asset id, GLPI's "Computer/12", a ServiceNow sys_id
    kind: AssetKind
    model: str  # "Dell Latitude 5550", "Microsoft Visio Plan 2"
    tag: str = ""  # the asset tag or name on its label: "PC-04512"
    serial: str = ""
    purchased: date | None = None
    assigned: date | None = None
    status: str = ""  # the inventory's own word: "in-use", "allocated", "In use"...
    owner: str = ""

    @property
    def id(self) -> str:
        """Unique across inventories: what a ticket and a button carry."""
        return f"{self.inventory}:{self.upstream_id}"

    @property
    def label(self) -> str:
        """How the employee recognises it: "Latitude 5550, PC-04512"."""
        model = short_model(self.model)
        return f"{model}, {self.tag}" if self.tag and self.tag != model else model

    def age_years(self, today: date) -> float | None:
        start = self.purchased or self.assigned
        return None if start is None else (today - start).days / DAYS_PER_YEAR


MAKERS = ("dell ", "hp ", "lenovo ", "apple ", "microsoft ", "samsung ", "adobe ")


def short_model(model: str) -> str:
    """'Dell Latitude 5550' → 'Latitude 5550': people name their device without the maker."""
    lowered = model.lower()
    for maker in MAKERS:
        if lowered.startswith(maker) and len(model) > len(maker):
            return model[len(maker) :]
    return model


class AssetLink(BaseModel, frozen=True):
    """The device a ticket is about, as it goes to the ITSM tool: linked there when the tool
    is also the inventory (`inventory` equals the backend's name)."""

    inventory: str
    upstream_id: str
    kind: AssetKind
    label: str

    @property
    def id(self) -> str:
        return f"{self.inventory}:{self.upstream_id}"

    @classmethod
    def of(cls, asset: Asset) -> AssetLink:
        return cls(
            inventory=asset.inventory,
            upstream_id=asset.upstream_id,
            kind=asset.kind,
            label=asset.label,
        )


class AssetError(GuichetError):
    message = "asset inventory {backend}: {problem}"


class InventoryUnavailable(AssetError):
    """The inventory could not be reached or refused Guichet's credentials."""


class AssetInventory(Protocol):
    """One asset inventory, read by the holder's work e-mail (case-insensitive).

    Failures raise `InventoryUnavailable`; an unknown person simply has no assets. Licences are
    assets of kind `licence` whose `model` is the product ("Microsoft Visio Plan 2").
    """

    name: str

    async def assets_of(self, email: str) -> list[Asset]:
        """The devices and licences the person holds, in the inventory's order."""
        ...

    async def aclose(self) -> None: ...
