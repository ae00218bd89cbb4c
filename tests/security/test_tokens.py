"""Bearer tokens against role changes: a token never gives more than its user has now."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bot.kernel.ticket_models import NewTicket
from bot.services import Components, Services
from tests.bot.api.conftest import ClientFor
from tests.bot.auth.test_token_cache import _cli, redis_server, remembering_process
from tests.faults.servers import PrivateRedis

__all__ = ["redis_server"]

AGENT_ROUTE = "/api/v1/escalations"
OPS = "ops@norvane.example"


async def _ticket(services: Services, requester: str) -> str:
    ticket = await services.tickets.create(
        NewTicket(
            kind="incident", requester=requester, channel="api", conversation_id=None,
            title="VPN down", description="The VPN drops every minute.", category="network",
            impact="person", urgency="low", priority="P5", language="en",
        )
    )  # fmt: skip
    return ticket.reference


async def test_a_demoted_agent_keeps_no_agent_rights_through_an_old_token(
    services: Services, client_for: ClientFor
) -> None:
    ops = await client_for("agent", OPS)
    own, others = await _ticket(services, OPS), await _ticket(services, "ann@norvane.example")
    assert (await ops.get(AGENT_ROUTE)).status_code == 200
    assert (await ops.get(f"/api/v1/tickets/{others}")).status_code == 200

    await services.auth.update_user(OPS, role="employee")

    assert (await ops.get(AGENT_ROUTE)).status_code == 403
    assert (await ops.get(f"/api/v1/tickets/{others}")).status_code == 403
    # Still an employee, on their own things.
    me = await ops.get("/api/v1/me")
    assert me.json()["role"] == "employee"
    assert (await ops.get(f"/api/v1/tickets/{own}")).status_code == 200
    listed = await ops.get("/api/v1/tickets", params={"requester": "ann@norvane.example"})
    assert [t["reference"] for t in listed.json()] == [own]


async def test_a_token_minted_above_its_user_s_role_gets_only_the_user_s_role(
    services: Services, client_for: ClientFor
) -> None:
    await services.auth.create_user("ann@norvane.example", role="employee")
    ann = await client_for("admin", "ann@norvane.example")
    assert (await ann.get("/api/v1/me")).json()["role"] == "employee"
    assert (await ann.get("/api/v1/audit")).status_code == 403
    assert (await ann.get(AGENT_ROUTE)).status_code == 403


async def test_a_disabled_user_s_token_opens_nothing(
    services: Services, client_for: ClientFor
) -> None:
    ops = await client_for("agent", OPS)
    own = await _ticket(services, OPS)
    await services.auth.update_user(OPS, active=False)
    for path in (AGENT_ROUTE, f"/api/v1/tickets/{own}", "/api/v1/me"):
        assert (await ops.get(path)).status_code == 401, path


async def _status_soon(api: httpx.AsyncClient, headers: dict[str, str], wanted: int) -> int:
    """The status once the change has been heard (delivery through Redis is asynchronous)."""
    status = 0
    for _ in range(200):
        status = (await api.get(AGENT_ROUTE, headers=headers)).status_code
        if status == wanted:
            break
        await asyncio.sleep(0.05)
    return status


@pytest.mark.integration
@pytest.mark.slow
async def test_a_demotion_by_the_cli_reaches_a_process_that_remembers_the_token(
    components: Components, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    async with remembering_process(components, redis_server.url, tmp_path) as (
        services,
        api,
        database,
    ):
        _, secret = await services.auth.create_token(OPS, role="agent")
        headers = {"Authorization": f"Bearer {secret}"}
        assert (await api.get(AGENT_ROUTE, headers=headers)).status_code == 200
        assert len(services.auth.token_cache) == 1  # remembered for an hour

        demoted = await asyncio.to_thread(
            _cli, ["user", "update", OPS, "--role", "employee"], database, redis_server.url
        )
        assert demoted.returncode == 0, demoted.stderr
        assert await _status_soon(api, headers, 403) == 403
        assert (await api.get("/api/v1/me", headers=headers)).json()["role"] == "employee"
