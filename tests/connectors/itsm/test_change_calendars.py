"""The change calendars of ServiceNow, Jira Service Management and GLPI, read from their local
replay servers: a planned window, the service it affects, the stage it is at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.kernel.changes import PlannedChange
from bot.settings.itsm import (
    GlpiSettings,
    ItsmSettings,
    JiraServiceManagementSettings,
    ServiceNowSettings,
)
from connectors.itsm.registry import BackendContext, build_calendar
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.glpi import APP_TOKEN, glpi_app
from tests.contracts.fakes.jira_service_management import ACCOUNTS, PROJECT, jsm_app
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import servicenow_app

pytestmark = pytest.mark.unit

NOW = datetime.now(UTC).replace(microsecond=0, second=0)
START, END = NOW + timedelta(hours=6), NOW + timedelta(hours=7)


@pytest.fixture
def servers() -> Iterator[list[LocalServer]]:
    started: list[LocalServer] = []
    yield started
    for server in started:
        server.stop()


async def _read(name: str, itsm: ItsmSettings) -> list[PlannedChange]:
    calendar = build_calendar(name, BackendContext(itsm=itsm))
    try:
        return await calendar.planned_changes(since=NOW)
    finally:
        await calendar.aclose()


async def test_servicenow_change_requests(servers: list[LocalServer]) -> None:
    app, instance = servicenow_app(Faults())
    servers.append(server := LocalServer(app).start())
    scheduled = instance.add_change("Upgrade the VPN concentrators", START, END, ci="VPN")
    instance.add_change("Rename the file shares", START, END, ci="Files", state="-4",
                        approval="requested")  # fmt: skip
    instance.add_change("Old mail migration", NOW - timedelta(days=3), NOW - timedelta(days=2),
                        ci="Email", state="3")  # fmt: skip

    found = await _read(
        "servicenow",
        ItsmSettings(
            servicenow=ServiceNowSettings(
                base_url=server.url,
                username="guichet.integration",
                password=SecretStr("guichet-pass"),
            )
        ),
    )

    by_title = {c.title: c for c in found}
    assert set(by_title) == {"Upgrade the VPN concentrators", "Rename the file shares"}
    vpn = by_title["Upgrade the VPN concentrators"]
    assert (vpn.reference, vpn.service, vpn.state) == (scheduled["number"], "VPN", "scheduled")
    assert (vpn.starts_at, vpn.ends_at) == (START, END)
    assert vpn.url and vpn.url.endswith(scheduled["sys_id"])
    assert by_title["Rename the file shares"].state == "requested"


async def test_jira_service_management_changes(servers: list[LocalServer]) -> None:
    app, jira = jsm_app(Faults())
    servers.append(server := LocalServer(app).start())
    key = jira.add_change("Upgrade the VPN concentrators", START, END, service="VPN",
                          status="Awaiting implementation")  # fmt: skip
    jira.add_change("Past firewall change", NOW - timedelta(days=2), NOW - timedelta(days=1),
                    service="Network", status="Completed")  # fmt: skip
    email = "guichet@norvane.example"

    found = await _read(
        "jira_service_management",
        ItsmSettings(
            jira_service_management=JiraServiceManagementSettings(
                base_url=server.url,
                email=email,
                api_token=SecretStr(ACCOUNTS[email][0]),
                project_key=PROJECT,
            )
        ),
    )

    assert [(c.reference, c.service, c.state) for c in found] == [(key, "VPN", "scheduled")]
    assert (found[0].starts_at, found[0].ends_at) == (START, END)
    assert found[0].url == f"{server.url}/browse/{key}"


async def test_glpi_changes_planned_by_their_tasks(servers: list[LocalServer]) -> None:
    app, glpi = glpi_app(Faults())
    servers.append(server := LocalServer(app).start())
    accepted = glpi.add_change("Upgrade the VPN concentrators", START, END, category="VPN")
    glpi.add_change("Printer driver rollout", START, END, category="Printing", status=10)

    found = await _read(
        "glpi",
        ItsmSettings(
            glpi=GlpiSettings(
                base_url=f"{server.url}/apirest.php",
                app_token=SecretStr(APP_TOKEN),
                user_token=SecretStr("guichet-user-token"),
            )
        ),
    )

    by_title = {c.title: c for c in found}
    vpn = by_title["Upgrade the VPN concentrators"]
    assert (vpn.reference, vpn.service, vpn.state) == (f"GLPI-CHG-{accepted}", "VPN", "approved")
    assert (vpn.starts_at, vpn.ends_at) == (START, END)
    assert by_title["Printer driver rollout"].state == "requested"
