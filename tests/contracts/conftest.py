"""One harness per backend: the real Request Tracker, and a local server per vendor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.kernel.itsm import TicketBackend
from tests.contracts.harness import Harness
from tests.contracts.harness_request_tracker import request_tracker_harness
from tests.contracts.harness_vendors import (
    glpi_harness,
    jira_service_management_harness,
    servicenow_harness,
    zammad_harness,
)
from tests.request_tracker import RunningRequestTracker, start_request_tracker

BACKEND_NAMES = [
    pytest.param("request_tracker", marks=pytest.mark.integration),
    pytest.param("servicenow", marks=pytest.mark.unit),
    pytest.param("zammad", marks=pytest.mark.unit),
    pytest.param("jira_service_management", marks=pytest.mark.unit),
    pytest.param("glpi", marks=pytest.mark.unit),
]
VENDOR_HARNESSES = {
    "servicenow": servicenow_harness,
    "zammad": zammad_harness,
    "jira_service_management": jira_service_management_harness,
    "glpi": glpi_harness,
}


@pytest.fixture(scope="session")
def request_tracker(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningRequestTracker]:
    """The real Request Tracker 5 (Debian's, SQLite), on 127.0.0.1, for the whole session."""
    running = start_request_tracker(tmp_path_factory.mktemp("request-tracker"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session", params=BACKEND_NAMES)
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "request_tracker":
        yield from request_tracker_harness(request.getfixturevalue("request_tracker"))
    else:
        yield from VENDOR_HARNESSES[request.param]()


@pytest.fixture
async def backend(harness: Harness) -> AsyncIterator[TicketBackend]:
    harness.faults.clear()
    opened = harness.backend()
    try:
        yield opened
    finally:
        await opened.aclose()
