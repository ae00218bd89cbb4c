"""The API tests' app and clients, and Prometheus text parsed into samples."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app.services import open_services
from bot.services import Components, Services
from bot.settings import TicketSettings, load_settings
from tests.bot.api.conftest import anonymous, app, client  # noqa: F401 - fixtures
from tests.faults.servers import CountingServiceNow, counting_servicenow

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    """Every sample of an exposition, keyed by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when absent (a counter never incremented)."""
    return found.get((name, frozenset(labels.items())), 0.0)


def total(found: Samples, name: str, **labels: str) -> float:
    """The sum over the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in found.items() if n == name and wanted <= ls)


@pytest.fixture
def servicenow() -> Iterator[CountingServiceNow]:
    """The contract tests' local ServiceNow (Table API), which can be told to fail."""
    yield from counting_servicenow()


@pytest.fixture
async def synced(
    components: Components, database_url: str, tmp_path: Path, servicenow: CountingServiceNow
) -> AsyncIterator[Services]:
    """Services syncing tickets with the local ServiceNow; the test runs the worker."""
    settings = load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        tickets=TicketSettings(
            sync_backends=["servicenow"], run_sync_worker=False, max_backoff_seconds=0.5
        ),
        itsm=servicenow.itsm(timeout_seconds=5.0),
    )
    services = await open_services(settings, components)
    try:
        yield services
    finally:
        await services.close()
