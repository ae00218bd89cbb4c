"""Local servers speaking each vendor's protocol, with the accounts and knobs the tests need."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from pydantic import SecretStr

from bot.kernel.assets import AssetKind, AssetLink
from bot.settings.itsm import (
    GlpiSettings,
    ItsmSettings,
    JiraServiceManagementSettings,
    ServiceNowSettings,
    ZammadSettings,
)
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.glpi import APP_TOKEN as GLPI_APP_TOKEN
from tests.contracts.fakes.glpi import glpi_app
from tests.contracts.fakes.jira_service_management import ACCOUNTS as JSM_ACCOUNTS
from tests.contracts.fakes.jira_service_management import PROJECT as JSM_PROJECT
from tests.contracts.fakes.jira_service_management import REQUEST_TYPE as JSM_REQUEST_TYPE
from tests.contracts.fakes.jira_service_management import SERVICE_DESK as JSM_SERVICE_DESK
from tests.contracts.fakes.jira_service_management import jsm_app
from tests.contracts.fakes.server import LocalServer
from tests.contracts.fakes.servicenow import servicenow_app
from tests.contracts.fakes.zammad import zammad_app
from tests.contracts.harness import Account, Harness
from tests.contracts.harness_assets import seed_glpi, seed_servicenow


def servicenow_harness() -> Iterator[Harness]:
    faults = Faults()
    app, instance = servicenow_app(faults)
    server = LocalServer(app).start()
    accounts = {
        "guichet": ("guichet.integration", "guichet-pass"),
        "agent": ("itil.agent", "agent-pass"),
        "wrong": ("guichet.integration", "not-the-password"),
    }

    def settings(account: Account, url: str) -> ItsmSettings:
        user, password = accounts[account]
        return ItsmSettings(
            servicenow=ServiceNowSettings(
                base_url=url, username=user, password=SecretStr(password)
            ),
        )

    async def assign(upstream_id: str) -> None:
        instance.assign(upstream_id, "itil.agent")

    async def seed_asset() -> AssetLink:
        laptop = seed_servicenow(instance).laptop
        assert laptop is not None
        return AssetLink(
            inventory="servicenow",
            upstream_id=laptop,
            kind=AssetKind.LAPTOP,
            label="Latitude 5550, PC-04512",
        )

    try:
        yield Harness(
            name="servicenow",
            url=server.url,
            faults=faults,
            settings=settings,
            assign=assign,
            agent="ITIL Agent",
            missing_id=uuid.uuid4().hex,
            reads_back={"assigned": "in_progress", "reopened": "in_progress"},
            problem_text=lambda sys_id: " ".join(
                f"{k}={v}" for k, v in (instance.find("problem", sys_id) or {}).items()
            ),
            linked_problems=lambda sys_id: [
                p for p in [(instance.find("incident", sys_id) or {}).get("problem_id")] if p
            ],
            seed_asset=seed_asset,
        )
    finally:
        server.stop()


def zammad_harness() -> Iterator[Harness]:
    faults = Faults()
    app, zammad = zammad_app(faults)
    server = LocalServer(app).start()
    tokens = {"guichet": "guichet-token", "agent": "agent-token", "wrong": "revoked-token"}

    def settings(account: Account, url: str) -> ItsmSettings:
        return ItsmSettings(
            zammad=ZammadSettings(base_url=url, token=SecretStr(tokens[account])),
        )

    async def assign(upstream_id: str) -> None:
        zammad.assign(upstream_id, 4)

    try:
        yield Harness(
            name="zammad",
            url=server.url,
            faults=faults,
            settings=settings,
            assign=assign,
            agent="agent@norvane.example",
            missing_id="999999",
            reads_back={
                "assigned": "in_progress",
                "awaiting_information": "pending",
                "rejected": "closed",
                "reopened": "in_progress",
            },
        )
    finally:
        server.stop()


def glpi_harness() -> Iterator[Harness]:
    faults = Faults()
    app, glpi = glpi_app(faults)
    server = LocalServer(app).start()
    tokens = {"guichet": "guichet-user-token", "agent": "agent-user-token", "wrong": "revoked"}

    def settings(account: Account, url: str) -> ItsmSettings:
        return ItsmSettings(
            glpi=GlpiSettings(
                base_url=f"{url}/apirest.php",
                app_token=SecretStr(GLPI_APP_TOKEN),
                user_token=SecretStr(tokens[account]),
            ),
        )

    async def assign(upstream_id: str) -> None:
        glpi.assign(upstream_id, 8)

    def glpi_problem_text(problem_id: str) -> str:
        found = glpi.problems.get(int(problem_id)) if problem_id.isdigit() else None
        return " ".join(f"{k}={v}" for k, v in (found or {}).items())

    def glpi_linked(ticket_id: str) -> list[str]:
        return [
            str(link["problems_id"])
            for link in glpi.problem_tickets.values()
            if str(link["tickets_id"]) == ticket_id
        ]

    async def seed_asset() -> AssetLink:
        monitor = seed_glpi(glpi).monitor
        assert monitor is not None
        return AssetLink(
            inventory="glpi", upstream_id=monitor, kind=AssetKind.MONITOR, label="P2422H"
        )

    try:
        yield Harness(
            name="glpi",
            url=server.url,
            faults=faults,
            settings=settings,
            assign=assign,
            agent="tech.agent",
            missing_id="999999",
            reads_back={
                "assigned": "in_progress",
                "awaiting_information": "pending",
                "rejected": "closed",
                "reopened": "in_progress",
            },
            problem_text=glpi_problem_text,
            linked_problems=glpi_linked,
            seed_asset=seed_asset,
        )
    finally:
        server.stop()


def jira_service_management_harness() -> Iterator[Harness]:
    faults = Faults()
    app, jira = jsm_app(faults)
    server = LocalServer(app).start()
    logins = {
        "guichet": ("guichet@norvane.example", "guichet-api-token"),
        "agent": ("agent@norvane.example", "agent-api-token"),
        "wrong": ("guichet@norvane.example", "revoked-api-token"),
    }

    def settings(account: Account, url: str) -> ItsmSettings:
        email, token = logins[account]
        return ItsmSettings(
            jira_service_management=JiraServiceManagementSettings(
                base_url=url,
                email=email,
                api_token=SecretStr(token),
                project_key=JSM_PROJECT,
                service_desk_id=JSM_SERVICE_DESK,
                incident_request_type_id=JSM_REQUEST_TYPE,
            ),
        )

    async def assign(upstream_id: str) -> None:
        jira.assign(upstream_id, JSM_ACCOUNTS["agent@norvane.example"][1])

    try:
        yield Harness(
            name="jira_service_management",
            url=server.url,
            faults=faults,
            settings=settings,
            assign=assign,
            agent="Alex Agent",
            missing_id=f"{JSM_PROJECT}-99999",
            reads_back={"assigned": "new", "reopened": "new"},
        )
    finally:
        server.stop()
