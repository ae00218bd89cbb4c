"""The `AssetInventory` contract, run against every inventory reached over HTTP: the real
Request Tracker's assets, and local servers replaying GLPI's and ServiceNow's CMDB payloads."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date

import pytest

from bot.kernel.assets import Asset, AssetInventory, AssetKind, InventoryUnavailable
from bot.kernel.errors import SettingsInvalid
from bot.settings.assets import AssetSettings
from bot.settings.itsm import ItsmSettings
from connectors.assets.registry import INVENTORIES, InventoryContext, build_inventory
from tests.contracts.fakes.server import free_port
from tests.contracts.harness_assets import (
    VENDOR_ASSETS,
    AssetHarness,
    Seeded,
    request_tracker_assets,
)

NAMES = [
    pytest.param("request_tracker", marks=pytest.mark.integration),
    pytest.param("glpi", marks=pytest.mark.unit),
    pytest.param("servicenow", marks=pytest.mark.unit),
]


@pytest.fixture(scope="session", params=NAMES)
def asset_harness(request: pytest.FixtureRequest) -> Iterator[AssetHarness]:
    if request.param == "request_tracker":
        yield from request_tracker_assets(request.getfixturevalue("request_tracker"))
    else:
        yield from VENDOR_ASSETS[request.param]()


@pytest.fixture
async def inventory(asset_harness: AssetHarness) -> AsyncIterator[AssetInventory]:
    asset_harness.faults.clear()
    opened = asset_harness.inventory()
    try:
        yield opened
    finally:
        await opened.aclose()


def _by_kind(assets: list[Asset]) -> dict[AssetKind, Asset]:
    return {asset.kind: asset for asset in assets}


async def test_a_persons_devices_and_licences_with_model_tag_serial_and_dates(
    asset_harness: AssetHarness, inventory: AssetInventory
) -> None:
    seeded: Seeded = await asset_harness.seed()

    assets = await inventory.assets_of(seeded.email)

    kinds = _by_kind(assets)
    assert sorted(kinds) == sorted([AssetKind.LAPTOP, AssetKind.MONITOR, AssetKind.LICENCE])
    assert len(assets) == 3  # not the recycled laptop, not a colleague's device
    laptop, monitor, licence = (
        kinds[AssetKind.LAPTOP],
        kinds[AssetKind.MONITOR],
        kinds[AssetKind.LICENCE],
    )
    assert (laptop.model, laptop.tag, laptop.serial) == (
        "Dell Latitude 5550",
        "PC-04512",
        "7XK2M31",
    )
    assert laptop.purchased == date(2021, 3, 15)
    assert laptop.label == "Latitude 5550, PC-04512"
    assert laptop.upstream_id == seeded.laptop
    assert laptop.id == f"{asset_harness.name}:{seeded.laptop}"
    assert (monitor.tag, monitor.upstream_id) == ("MON-01877", seeded.monitor)
    assert "P2422H" in monitor.model
    assert "Visio" in licence.model and "Plan 2" in licence.model
    assert licence.upstream_id == seeded.licence
    assert {asset.owner for asset in assets} == {seeded.email}
    assert {asset.inventory for asset in assets} == {asset_harness.name}


async def test_the_address_is_read_without_its_case(
    asset_harness: AssetHarness, inventory: AssetInventory
) -> None:
    seeded = await asset_harness.seed()

    assets = await inventory.assets_of(seeded.email.upper())

    assert len(assets) == 3
    assert {asset.owner for asset in assets} == {seeded.email}


async def test_someone_the_inventory_does_not_know_has_no_assets(
    inventory: AssetInventory,
) -> None:
    assert await inventory.assets_of("nobody-here@elsewhere.example") == []


async def test_a_server_error_is_inventory_unavailable(
    asset_harness: AssetHarness, inventory: AssetInventory
) -> None:
    asset_harness.faults.fail_next(503)

    with pytest.raises(InventoryUnavailable, match="503"):
        await inventory.assets_of("someone@norvane.example")


async def test_an_inventory_that_does_not_answer_is_unavailable(
    asset_harness: AssetHarness,
) -> None:
    opened = asset_harness.inventory(url=f"http://127.0.0.1:{free_port()}", timeout=2)
    try:
        with pytest.raises(InventoryUnavailable):
            await opened.assets_of("someone@norvane.example")
    finally:
        await opened.aclose()


@pytest.mark.unit
@pytest.mark.parametrize("name", ["glpi", "servicenow"])
def test_a_missing_connection_setting_is_named(name: str) -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_ITSM__"):
        build_inventory(InventoryContext(AssetSettings(backend=name), ItsmSettings()))


@pytest.mark.unit
def test_every_inventory_is_registered() -> None:
    assert INVENTORIES.names() == ["builtin", "glpi", "request_tracker", "servicenow"]
