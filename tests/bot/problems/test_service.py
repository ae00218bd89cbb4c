"""Problem records on SQLite and PostgreSQL: opened from an outage parent or tickets, incidents
linked and unlinked, the lifecycle, history, and the copy in ServiceNow (its replay)."""

from __future__ import annotations

import pytest

from bot.app.services import problem_sync_worker, sync_worker
from bot.kernel.errors import Conflict
from bot.kernel.problems import InvalidProblemTransition
from bot.services import Services
from tests.bot.problems.conftest import ServiceNow, report, report_outage

pytestmark = pytest.mark.slow
AGENT = "zoe@norvane.example"


async def _sync(services: Services) -> None:
    tickets, problems = sync_worker(services), problem_sync_worker(services)
    assert tickets is not None and problems is not None
    try:
        await tickets.deliver_once()
        await problems.deliver_once()
    finally:
        await tickets.aclose()
        await problems.aclose()


async def test_a_problem_from_an_outage_parent_is_copied_to_servicenow_with_its_incidents(
    synced: Services, servicenow: ServiceNow
) -> None:
    parent = await report_outage(synced)
    desk = synced.problems
    assert desk is not None
    problem = await desk.open_from_parent(parent, actor=AGENT)
    assert problem.reference == "PRB-000001" and problem.status == "new"
    assert problem.origin == parent and len(problem.incidents) == 4  # the parent, 3 reports
    assert problem.title.startswith("SAP is down")
    with pytest.raises(Conflict):
        await desk.open_from_parent(parent, actor=AGENT)  # one problem per outage

    problem = await desk.record(
        problem.reference,
        actor=AGENT,
        root_cause="The SAP login server's certificate expired",
        workaround_en="Log in through https://sap-backup.norvane.example until it is renewed.",
    )
    problem = await desk.transition(problem.reference, "under_investigation", actor=AGENT)
    with pytest.raises(InvalidProblemTransition):
        await desk.transition(problem.reference, "new", actor=AGENT)
    await _sync(synced)

    (record,) = servicenow.instance.tables["problem"]
    assert record["correlation_id"] == problem.reference
    assert record["state"] == "103" and "certificate expired" in record["cause_notes"]
    assert "sap-backup" in record["workaround"]
    linked = [i for i in servicenow.instance.tables["incident"] if i.get("problem_id")]
    assert {i["correlation_id"] for i in linked} == set(problem.incidents)
    assert {i["problem_id"] for i in linked} == {record["sys_id"]}

    report = problem.incidents[-1]
    problem = await desk.unlink(problem.reference, report, actor=AGENT)
    assert report not in problem.incidents
    await _sync(synced)
    unlinked = next(
        i for i in servicenow.instance.tables["incident"] if i["correlation_id"] == report
    )
    assert unlinked["problem_id"] == ""

    kinds = [e.kind for e in await desk.history(problem.reference)]
    assert kinds == ["created", "analysis", "status", "unlinked"]
    assert await synced.problems.store.sync_states(problem.id) == {  # type: ignore[union-attr]
        "servicenow": record["sys_id"]
    }


async def test_a_problem_for_selected_tickets_and_a_link_that_waits_for_its_incident(
    synced: Services, servicenow: ServiceNow
) -> None:
    await report(synced, "ann")
    (ticket,) = await synced.tickets.find(kind="incident")
    desk = synced.problems
    assert desk is not None
    problem = await desk.open_from_tickets([ticket.reference], actor=AGENT, title="SAP 503")
    assert problem.title == "SAP 503" and problem.incidents == [ticket.reference]
    worker = problem_sync_worker(synced)
    assert worker is not None
    try:
        await worker.deliver_once()  # the incident is not in ServiceNow yet: the link waits
        assert not servicenow.instance.tables["incident"]
        states = await desk.store.sync_states(problem.id)
        assert states["servicenow"].startswith("pending: servicenow: incident")
    finally:
        await worker.aclose()
