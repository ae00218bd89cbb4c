"""One peer per asset inventory, each holding the same person's devices: the real Request
Tracker (assets created through REST2), and local servers replaying GLPI's and ServiceNow's
documented payloads. Each seeds a fresh person, so runs against the persistent RT never meet."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from bot.kernel.assets import AssetInventory
from bot.settings.assets import AssetSettings
from bot.settings.itsm import (
    GlpiSettings,
    ItsmSettings,
    RequestTrackerSettings,
    ServiceNowSettings,
)
from connectors.assets.registry import InventoryContext, build_inventory
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.glpi import APP_TOKEN as GLPI_APP_TOKEN
from tests.contracts.fakes.glpi import Glpi, glpi_app
from tests.contracts.fakes.rt_proxy import rt_proxy
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import Instance, servicenow_app
from tests.request_tracker import PASSWORD, RunningRequestTracker

LAPTOP = ("Dell Latitude 5550", "PC-04512", "7XK2M31", "2021-03-15")
MONITOR = ('Dell P2422H 24"', "MON-01877", "CN0F2K", "2021-03-15")
LICENCE = "Microsoft Visio Plan 2"


@dataclass
class Seeded:
    """The person's e-mail and the upstream ids of what they hold (None: not asserted)."""

    email: str
    laptop: str | None
    monitor: str | None
    licence: str | None


@dataclass
class AssetHarness:
    name: str
    url: str
    faults: Faults
    settings: Callable[[str], ItsmSettings]  # base URL → connection settings
    seed: Callable[[], Awaitable[Seeded]]  # a new person with a laptop, a monitor, a licence

    def inventory(self, *, url: str | None = None, timeout: float = 10.0) -> AssetInventory:
        itsm = self.settings(url or self.url).model_copy(update={"timeout_seconds": timeout})
        return build_inventory(InventoryContext(AssetSettings(backend=self.name), itsm))


def _fresh(prefix: str) -> tuple[str, str]:
    login = f"{prefix}-{uuid.uuid4().hex[:10]}"
    return login, f"{login}@norvane.example"


def request_tracker_assets(rt: RunningRequestTracker) -> Iterator[AssetHarness]:
    faults = Faults()
    proxy = LocalServer(rt_proxy(rt.url, faults)).start()

    def settings(url: str) -> ItsmSettings:
        return ItsmSettings(
            request_tracker=RequestTrackerSettings(
                base_url=url, username="root", password=SecretStr(PASSWORD)
            )
        )

    async def seed() -> Seeded:
        return await seed_request_tracker(rt.url)

    try:
        yield AssetHarness("request_tracker", proxy.url, faults, settings, seed)
    finally:
        proxy.stop()


async def seed_request_tracker(rt_url: str, email: str | None = None) -> Seeded:
    """A person in RT holding a laptop, a monitor and a Visio licence, plus a recycled laptop
    (left out) and a colleague's device (not theirs)."""
    login, address = _fresh("asset") if email is None else (email.split("@")[0], email)
    async with httpx.AsyncClient(
        base_url=f"{rt_url}/REST/2.0/", auth=("root", PASSWORD), timeout=30
    ) as client:

        async def create(path: str, body: dict[str, object]) -> str:
            answer = await client.post(path, json=body)
            answer.raise_for_status()
            return str(answer.json()["id"])

        if email is None or (await client.get(f"user/{address}")).status_code == 404:
            await create("user", {"Name": login, "EmailAddress": address, "RealName": login})

        async def asset(
            kind: str, model: str, tag: str, serial: str = "", bought: str = "", **more: object
        ) -> str:
            fields = {"Type": kind, "Model": model, "Serial Number": serial}
            if bought:
                fields |= {"Purchase Date": bought, "Issue Date": bought}
            return await create(
                "asset",
                {
                    "Name": tag,
                    "Catalog": "General assets",
                    "HeldBy": address,
                    "Status": "in-use",
                    "CustomFields": fields,
                    **more,
                },
            )

        laptop = await asset("Laptop Computer", *LAPTOP)
        monitor = await asset("Monitor", *MONITOR)
        licence = await asset("Software", LICENCE, "VISIO-0031")
        old = await asset("Laptop Computer", "Dell Latitude 5420", "PC-01999", "OLD1", "2017-01-02")
        (await client.put(f"asset/{old}", json={"Status": "recycled"})).raise_for_status()
        await create(
            "asset",
            {"Name": "PC-07777", "Catalog": "General assets", "HeldBy": "root@localhost"},
        )
    return Seeded(address, laptop, monitor, licence)


def glpi_assets() -> Iterator[AssetHarness]:
    faults = Faults()
    app, glpi = glpi_app(faults)
    server = LocalServer(app).start()

    def settings(url: str) -> ItsmSettings:
        return ItsmSettings(
            glpi=GlpiSettings(
                base_url=f"{url}/apirest.php",
                app_token=SecretStr(GLPI_APP_TOKEN),
                user_token=SecretStr("guichet-user-token"),
            )
        )

    async def seed() -> Seeded:
        return seed_glpi(glpi)

    try:
        yield AssetHarness("glpi", server.url, faults, settings, seed)
    finally:
        server.stop()


def seed_glpi(glpi: Glpi, email: str | None = None) -> Seeded:
    login, address = _fresh("asset") if email is None else (email.split("@")[0], email)
    user = glpi.add_user(login, address)
    _, tag, serial, bought = LAPTOP
    laptop = glpi.add_asset(
        "Computer", user, name=tag, buy_date=bought, otherserial=tag, serial=serial,
        manufacturers_id="Dell", computermodels_id="Latitude 5550", computertypes_id="Laptop",
        states_id="In use",
    )  # fmt: skip
    _, tag, serial, bought = MONITOR
    monitor = glpi.add_asset(
        "Monitor", user, name="Dell P2422H", buy_date=bought, otherserial=tag, serial=serial,
        manufacturers_id="Dell", monitormodels_id='P2422H 24"',
    )  # fmt: skip
    licence = glpi.add_asset(
        "SoftwareLicense", user, name="Plan 2", otherserial="VISIO-0031",
        softwares_id="Microsoft Visio",
    )  # fmt: skip
    glpi.add_asset("Computer", glpi.add_user("colleague", "colleague@norvane.example"),
                   name="PC-07777", computertypes_id="Desktop")  # fmt: skip
    return Seeded(address, laptop, monitor, licence)


def servicenow_assets() -> Iterator[AssetHarness]:
    faults = Faults()
    app, instance = servicenow_app(faults)
    server = LocalServer(app).start()

    def settings(url: str) -> ItsmSettings:
        return ItsmSettings(
            servicenow=ServiceNowSettings(
                base_url=url, username="guichet.integration", password=SecretStr("guichet-pass")
            )
        )

    async def seed() -> Seeded:
        return seed_servicenow(instance)

    try:
        yield AssetHarness("servicenow", server.url, faults, settings, seed)
    finally:
        server.stop()


def seed_servicenow(instance: Instance, email: str | None = None) -> Seeded:
    login, address = _fresh("asset") if email is None else (email.split("@")[0], email)
    if not any(u["email"] == address for u in instance.tables["sys_user"]):
        instance.add_user(login, login.replace(".", " ").title(), address)
    login = next(u["user_name"] for u in instance.tables["sys_user"] if u["email"] == address)
    model, tag, serial, bought = LAPTOP
    laptop = instance.add_hardware(
        login, model=model, category="Computer", tag=tag, serial=serial, purchased=bought,
        form_factor="Laptop",
    )  # fmt: skip
    model, tag, serial, bought = MONITOR
    monitor = instance.add_hardware(
        login, model=model, category="Monitor", tag=tag, serial=serial, purchased=bought
    )
    licence = instance.add_entitlement(login, LICENCE)
    return Seeded(address, laptop, monitor, licence)


VENDOR_ASSETS = {"glpi": glpi_assets, "servicenow": servicenow_assets}
