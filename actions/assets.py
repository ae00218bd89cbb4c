"""What the employee's devices and licences change in a conversation.

When a hardware or software incident is filed, the devices it may be about are offered (those of
the kind the description names: "mon écran" → their monitors); a computer past the replacement
age turns "my laptop is slow" into an offer to replace it; a licence already held answers a
request for a second one. The inventory is `context.services["assets"]`; when there is none, or
it fails, the conversation simply goes on without devices.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from actions.protocol import ActionContext
from bot.kernel.assets import (
    COMPUTERS,
    HARDWARE,
    Asset,
    AssetError,
    AssetInventory,
    AssetKind,
    AssetLink,
)
from bot.kernel.domain import Button, Reply, payload
from bot.kernel.i18n import t, tn

log = logging.getLogger("guichet.assets")

DEFAULT_REPLACEMENT_YEARS = 4.0
DEFAULT_REPLACEMENT_ITEM = "laptop-standard"
# Words of a description that name a kind of device, accents and case folded.
KIND_WORDS: dict[AssetKind, tuple[str, ...]] = {
    AssetKind.MONITOR: ("ecran", "screen", "monitor", "moniteur", "display"),
    AssetKind.LAPTOP: ("laptop", "portable", "ordinateur", "ordi", "pc", "computer", "notebook"),
    AssetKind.DESKTOP: ("ordinateur", "ordi", "pc", "computer", "desktop", "fixe", "tour"),
    AssetKind.PHONE: ("phone", "telephone", "mobile", "iphone", "smartphone", "portable"),
    AssetKind.TABLET: ("tablet", "tablette", "ipad"),
    AssetKind.PRINTER: ("printer", "imprimante"),
}
SLOW_WORDS = ("slow", "lent", "lente", "rame", "freez", "fige", "old", "vieux", "perform")
# Words of a licence's name too common to tell two products apart.
GENERIC = frozenset(
    "microsoft adobe licence license licences plan pro professional standard edition "
    "annual annuelle for pour de the la le".split()
)


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", fold(text)))


def inventory_of(context: ActionContext) -> AssetInventory | None:
    found: Any = context.services.get("assets")
    return found if found is not None else None


async def holdings(context: ActionContext) -> list[Asset]:
    """The user's devices and licences; none when there is no inventory or it failed."""
    inventory = inventory_of(context)
    if inventory is None:
        return []
    try:
        return await inventory.assets_of(context.conversation.user_id)
    except AssetError as exc:
        log.warning("asset inventory unavailable: %s", exc)
        return []


def named_kinds(description: str) -> set[AssetKind]:
    said = words(description)
    return {kind for kind, names in KIND_WORDS.items() if said & set(names)}


def concerned(links: Iterable[AssetLink], category: str, description: str) -> list[AssetLink]:
    """The devices an incident of `category` described so may be about, best guess first."""
    links = list(links)
    if category == "software":
        said = words(description)
        products = [
            a for a in links if a.kind is AssetKind.LICENCE and (words(a.label) - GENERIC) & said
        ]
        return products or [a for a in links if a.kind in COMPUTERS]
    if category != "hardware":
        return []
    hardware = [a for a in links if a.kind in HARDWARE]
    kinds = named_kinds(description)
    return [a for a in hardware if a.kind in kinds] if kinds else hardware


def device_question(options: list[AssetLink], language: str) -> str:
    if len(options) == 1:
        return t("Is it your {device}?", language, device=options[0].label)
    return t("Which of your devices is it?", language)


# -- the replacement of an old computer -----------------------------------------------------


def slow_computer(text: str) -> bool:
    """Whether the message says a computer is slow (or old): "my laptop is slow"."""
    said = words(text)
    computer_words = set(KIND_WORDS[AssetKind.LAPTOP]) | set(KIND_WORDS[AssetKind.DESKTOP])
    return bool(said & computer_words) and any(w.startswith(SLOW_WORDS) for w in said)


def replacement_offer(context: ActionContext, assets: list[Asset], text: str) -> Reply | None:
    """For "my laptop is slow": the catalog's replacement, when their computer is past age."""
    if not slow_computer(text):
        return None
    limit = float(context.services.get("replacement_age_years") or DEFAULT_REPLACEMENT_YEARS)
    item_id = str(context.services.get("replacement_item") or DEFAULT_REPLACEMENT_ITEM)
    item = context.knowledge.catalog_item(item_id)
    today = date.today()
    old = [
        (age, a)
        for a in assets
        if a.kind in COMPUTERS and (age := a.age_years(today)) is not None and age >= limit
    ]
    if item is None or not old:
        return None
    age, computer = max(old, key=lambda found: found[0])
    language = context.language
    years = int(age)
    return Reply(
        text=tn(
            "Your {device} is {years} year old: past {limit} years, a computer is due for "
            "replacement. You can ask for a new one:",
            "Your {device} is {years} years old: past {limit} years, a computer is due for "
            "replacement. You can ask for a new one:",
            years,
            language,
            device=computer.label,
            years=years,
            limit=f"{limit:g}",
        ),
        buttons=[
            Button(
                title=t(
                    "Replace it: {item}",
                    language,
                    item=item.title.get(language),  # type: ignore[arg-type]
                ),
                payload=payload(
                    "order_equipment", catalog_item=item.id, field_reason="replacement"
                ),
            )
        ],
    )


# -- licences already held ------------------------------------------------------------------


def held_licence(assets: list[Asset], item_words: set[str]) -> Asset | None:
    """The licence among `assets` for the product a catalog item names, if any."""
    for asset in assets:
        if asset.kind is AssetKind.LICENCE and (words(asset.model) - GENERIC) & item_words:
            return asset
    return None
