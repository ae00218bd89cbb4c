"""What only one vendor does: GLPI's sessions expire, Jira's workflow refuses a transition."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.kernel.itsm import TicketPayload, UpstreamConflict
from bot.settings.itsm import GlpiSettings
from connectors.itsm.glpi.backend import GlpiBackend
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.glpi import APP_TOKEN, glpi_app
from tests.contracts.fakes.server import LocalServer
from tests.contracts.harness import Harness
from tests.contracts.harness_vendors import jira_service_management_harness

pytestmark = pytest.mark.unit

PAYLOAD = TicketPayload(
    reference="INC-000042",
    kind="incident",
    requester="marie.dupont@norvane.example",
    title="Printer jams on floor 3",
    description="Paper jam every other page.",
    category="hardware",
    impact="team",
    urgency="high",
    priority="P3",
)


@pytest.fixture(scope="module")
def jira() -> Iterator[Harness]:
    yield from jira_service_management_harness()


async def test_glpi_opens_a_new_session_when_its_session_expired() -> None:
    app, state = glpi_app(Faults())
    server = LocalServer(app).start()
    backend = GlpiBackend(
        GlpiSettings(
            base_url=f"{server.url}/apirest.php",
            app_token=SecretStr(APP_TOKEN),
            user_token=SecretStr("guichet-user-token"),
        ),
        timeout=5,
    )
    try:
        upstream_id = await backend.create(PAYLOAD)
        assert len(state.sessions) == 1
        state.sessions.clear()  # GLPI forgot the session (timeout, restart)

        assert (await backend.get(upstream_id)).reference == PAYLOAD.reference
        assert len(state.sessions) == 1
    finally:
        await backend.aclose()
        server.stop()
    assert state.sessions == {}  # aclose said killSession


async def test_jira_refuses_a_transition_its_workflow_does_not_have(jira: Harness) -> None:
    backend = jira.backend()
    try:
        key = await backend.create(PAYLOAD.model_copy(update={"reference": "INC-000043"}))
        await backend.update_status(key, "closed")

        with pytest.raises(UpstreamConflict, match="allowed: Waiting for support"):
            await backend.update_status(key, "in_progress")
        await backend.update_status(key, "reopened")  # the one way out of Closed
        assert (await backend.get(key)).status == "new"
    finally:
        await backend.aclose()
