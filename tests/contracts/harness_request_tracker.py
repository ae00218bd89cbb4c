"""The real Request Tracker, behind a pass-through proxy that can be told to fail."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
from pydantic import SecretStr

from bot.kernel.assets import AssetKind, AssetLink
from bot.settings.itsm import ItsmSettings, RequestTrackerSettings
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.rt_proxy import rt_proxy
from tests.contracts.fakes.server import LocalServer
from tests.contracts.harness import Account, Harness
from tests.contracts.harness_assets import seed_request_tracker
from tests.request_tracker import AGENT, AGENT_PASSWORD, PASSWORD, RunningRequestTracker

ACCOUNTS = {"guichet": ("root", PASSWORD), "agent": (AGENT, AGENT_PASSWORD), "wrong": ("root", "x")}


def _settings_for(rt: RunningRequestTracker) -> Callable[[Account, str], ItsmSettings]:
    """Settings reaching RT through the proxy at `url`; RT's own address is its web origin."""

    def settings(account: Account, url: str) -> ItsmSettings:
        user, password = ACCOUNTS[account]
        return ItsmSettings(
            request_tracker=RequestTrackerSettings(
                base_url=url, username=user, password=SecretStr(password), web_origin=rt.url
            ),
        )

    return settings


def request_tracker_harness(rt: RunningRequestTracker) -> Iterator[Harness]:
    faults = Faults()
    proxy = LocalServer(rt_proxy(rt.url, faults)).start()

    async def assign(upstream_id: str) -> None:
        async with httpx.AsyncClient(auth=(AGENT, AGENT_PASSWORD), timeout=30) as client:
            answer = await client.put(
                f"{rt.url}/REST/2.0/ticket/{upstream_id}", json={"Owner": AGENT}
            )
            answer.raise_for_status()

    async def seed_asset() -> AssetLink:
        seeded = await seed_request_tracker(rt.url)
        assert seeded.monitor is not None
        return AssetLink(
            inventory="request_tracker",
            upstream_id=seeded.monitor,
            kind=AssetKind.MONITOR,
            label="P2422H, MON-01877",
        )

    try:
        yield Harness(
            name="request_tracker",
            url=proxy.url,
            faults=faults,
            settings=_settings_for(rt),
            assign=assign,
            agent=AGENT,
            missing_id="999999999",
            patience=3.0,
            seed_asset=seed_asset,
        )
    finally:
        proxy.stop()
