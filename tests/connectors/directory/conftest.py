"""One real slapd for the directory tests of the session (tests/slapd.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.slapd import RunningSlapd, start_slapd


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSlapd]:
    running = start_slapd(tmp_path_factory.mktemp("slapd"))
    try:
        yield running
    finally:
        running.stop()
