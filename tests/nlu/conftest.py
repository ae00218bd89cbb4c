"""A real Rasa 3.6.21 server trained on Guichet's data, once per test session.

The environment is created by `scripts/rasa-env.sh` if missing (about 2 minutes), the model is
trained once and cached under `var/test-cache/rasa/models/` keyed by the exported project's
content (a few minutes on two cores), and `rasa run --enable-api` is started on 127.0.0.1 on a
free port; the fixture waits for `/status` (about a minute) and stops the server at the end.

Training and start-up begin in a background thread as soon as the collected tests include one
that needs the server, so they overlap with the rest of the suite instead of adding to it.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack

import httpx
import pytest

from bot.settings import load_settings
from nlu.data import load_training_data
from nlu.rasa_parser import RasaIntentParser
from nlu.rasa_runtime import RasaWorkspace, rasa_server, train_rasa
from tests.conftest import CACHE


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# DIET trained for fewer epochs than `guichet rasa train` (100): about a third of the time on a
# clean CI machine. The figures in docs/benchmarks/nlu.md come from the 100-epoch model.
TEST_EPOCHS = 30


_WORKSPACE = RasaWorkspace(CACHE / "rasa")
_background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasa")
_servers = ExitStack()
_server_url: Future[str] | None = None


def _train_and_serve() -> str:
    settings = load_settings(data_dir=CACHE)
    data = load_training_data(settings.nlu.data_dir)
    model = train_rasa(data, _WORKSPACE, settings.nlu.confidence_threshold, epochs=TEST_EPOCHS)
    return _servers.enter_context(rasa_server(model, _WORKSPACE, port=_free_port())).url


def _start_rasa() -> Future[str]:
    global _server_url
    if _server_url is None:
        _server_url = _background.submit(_train_and_serve)
    return _server_url


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if any("rasa_url" in getattr(item, "fixturenames", ()) for item in items):
        _start_rasa()


def pytest_sessionfinish() -> None:
    if _server_url is not None:
        _server_url.cancel()
        _background.shutdown(wait=True)
    _servers.close()


@pytest.fixture(scope="session")
def rasa_workspace() -> RasaWorkspace:
    return _WORKSPACE


@pytest.fixture(scope="session")
def rasa_url() -> str:
    """The server's URL once trained and started (begun at collection, waited for here)."""
    return _start_rasa().result()


@pytest.fixture
async def rasa_parser(rasa_url: str) -> AsyncIterator[RasaIntentParser]:
    parser = RasaIntentParser(httpx.AsyncClient(timeout=30.0), rasa_url)
    try:
        yield parser
    finally:
        await parser.aclose()
