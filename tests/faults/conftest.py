"""Fixtures of the fault tests: servers they own and may stop, and an authorised client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.services import Services
from tests.faults.servers import (
    CountingServiceNow,
    PrivatePostgres,
    PrivateRedis,
    counting_servicenow,
    private_postgres,
    private_redis,
)


@pytest.fixture(scope="module")
def postgres_cluster() -> Iterator[PrivatePostgres]:
    yield from private_postgres()


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    yield from private_redis()


@pytest.fixture
def servicenow() -> Iterator[CountingServiceNow]:
    yield from counting_servicenow()


async def auth_headers(services: Services) -> dict[str, str]:
    """An admin's bearer token when the API requires one."""
    auth = getattr(services, "auth", None)
    if auth is None:
        return {}
    _, secret = await auth.create_token("faults@norvane.example", role="admin", label="tests")
    return {"authorization": f"Bearer {secret}"}
