"""The `ProblemBackend` contract, run against every ITSM tool that has problem records, each
through a local server speaking its documented protocol."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.kernel.itsm import UpstreamNotFound
from bot.kernel.problems import ProblemBackend, ProblemPayload
from tests.contracts.harness import Harness
from tests.contracts.harness_vendors import glpi_harness, servicenow_harness
from tests.contracts.test_ticket_backends import payload as incident_payload

pytestmark = pytest.mark.unit
HARNESSES = {"servicenow": servicenow_harness, "glpi": glpi_harness}


@pytest.fixture(scope="module", params=sorted(HARNESSES))
def problem_harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    yield from HARNESSES[request.param]()


@pytest.fixture
async def problems(problem_harness: Harness) -> AsyncIterator[ProblemBackend]:
    problem_harness.faults.clear()
    opened = problem_harness.backend()
    assert isinstance(opened, ProblemBackend)
    try:
        yield opened
    finally:
        await opened.aclose()  # type: ignore[attr-defined]


def problem(**changes: object) -> ProblemPayload:
    fields: dict[str, object] = {
        "reference": f"PRB-{uuid.uuid4().hex[:8].upper()}",
        "title": "VPN drops every five minutes on hotel Wi-Fi",
        "description": "INC-000001: VPN drops\nINC-000002: VPN cuts out",
        "status": "new",
    }
    return ProblemPayload.model_validate({**fields, **changes})


async def test_create_problem_is_idempotent_on_the_reference(problems: ProblemBackend) -> None:
    sent = problem()
    first = await problems.create_problem(sent)
    assert await problems.create_problem(sent) == first
    assert await problems.create_problem(problem()) != first


async def test_root_cause_and_workaround_reach_the_tool(
    problems: ProblemBackend, problem_harness: Harness
) -> None:
    assert problem_harness.problem_text is not None
    upstream_id = await problems.create_problem(problem())
    await problems.update_problem(
        upstream_id,
        problem(
            status="known_error",
            root_cause="The hotel's captive portal drops idle UDP flows",
            workaround="Switch the VPN client to TCP 443 in Settings > Protocol",
        ),
    )
    shown = problem_harness.problem_text(upstream_id)
    assert "captive portal drops idle UDP flows" in shown
    assert "Switch the VPN client to TCP 443" in shown


async def test_an_incident_is_linked_then_unlinked(
    problems: ProblemBackend, problem_harness: Harness
) -> None:
    assert problem_harness.linked_problems is not None
    tickets = problem_harness.backend()
    try:
        incident = await tickets.create(incident_payload())
    finally:
        await tickets.aclose()
    upstream_id = await problems.create_problem(problem())

    await problems.link_incident(upstream_id, incident)
    assert problem_harness.linked_problems(incident) == [upstream_id]
    await problems.link_incident(upstream_id, incident)  # again: still one link
    assert problem_harness.linked_problems(incident) == [upstream_id]

    await problems.unlink_incident(upstream_id, incident)
    assert problem_harness.linked_problems(incident) == []


async def test_an_unknown_problem_is_not_found(
    problems: ProblemBackend, problem_harness: Harness
) -> None:
    with pytest.raises(UpstreamNotFound):
        await problems.update_problem(problem_harness.missing_id, problem())
