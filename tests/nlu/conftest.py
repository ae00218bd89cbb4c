"""A real Rasa 3.6.21 server trained on Guichet's data, once per test session.

The environment is created by `scripts/rasa-env.sh` if missing (about 2 minutes), the model is
trained once and cached under `var/test-cache/rasa/models/` keyed by the exported project's
content (a few minutes on two cores), and `rasa run --enable-api` is started on 127.0.0.1 on a
free port; the fixture waits for `/status` (about a minute) and stops the server at the end.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bot.settings import Settings
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
# clean CI machine. The figures in the README come from the 100-epoch model.
TEST_EPOCHS = 30


@pytest.fixture(scope="session")
def rasa_workspace() -> RasaWorkspace:
    return RasaWorkspace(CACHE / "rasa")


@pytest.fixture(scope="session")
def rasa_url(cache_settings: Settings, rasa_workspace: RasaWorkspace) -> Iterator[str]:
    data = load_training_data(cache_settings.nlu.data_dir)
    model = train_rasa(
        data, rasa_workspace, cache_settings.nlu.confidence_threshold, epochs=TEST_EPOCHS
    )
    with rasa_server(model, rasa_workspace, port=_free_port()) as server:
        yield server.url


@pytest.fixture
async def rasa_parser(rasa_url: str) -> AsyncIterator[RasaIntentParser]:
    parser = RasaIntentParser(httpx.AsyncClient(timeout=30.0), rasa_url)
    try:
        yield parser
    finally:
        await parser.aclose()
