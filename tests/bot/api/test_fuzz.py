"""The whole OpenAPI surface fuzzed with schemathesis: the real app served over HTTP by uvicorn
(real SQLite, the real model and index), as an admin with a bearer token and without
credentials. No 500, and every status, content type and body as the schema documents it."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.openapi import from_dict, from_url
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.app.web import create_app
from bot.auth import AuthStore
from bot.services import Components
from bot.settings import SAMPLE_KB_DIR, TicketSettings, load_settings
from bot.settings.limits import LimitSettings
from bot.settings.rasa_actions import RasaActionSettings
from bot.storage.database import Database
from tests.conftest import CACHE
from tests.connectors.slack.fake_slack import SIGNING_SECRET, TOKEN
from tests.connectors.teams.conftest import teams_settings
from tests.connectors.teams.fake_microsoft import TokenIssuer
from tests.contracts.fakes.server import free_port, serve_fake

RASA_TOKEN = "rasa-actions-fuzz-token"

pytestmark = pytest.mark.slow
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded: the four runs take a minute or two together.
FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class Live:
    url: str
    token: str
    rasa_token: str  # the action server's own token, as Rasa sends it


def _admin_token(database_url: str) -> str:
    async def make() -> str:
        database = Database(database_url)
        try:
            await database.migrate()
            store = AuthStore(database, session_minutes=60)
            _, secret = await store.create_token("fuzz@norvane.example", role="admin", label="fuzz")
            return secret
        finally:
            await database.close()

    with ThreadPoolExecutor(1) as pool:  # its own event loop, away from the test session's
        return pool.submit(asyncio.run, make()).result()


@pytest.fixture(scope="module")
def issuer() -> Iterator[TokenIssuer]:
    """Teams' token issuer (its signing keys), so that a token with a `kid` reaches the check."""
    yield from serve_fake(TokenIssuer())


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, components: Components, issuer: TokenIssuer
) -> Iterator[Live]:
    """`components` first: it builds the shared index and model this copies."""
    scratch: Path = tmp_path_factory.mktemp("fuzz")
    database_url = f"sqlite+aiosqlite:///{scratch / 'guichet.db'}"
    token = _admin_token(database_url)
    # Fuzzed articles are written into a copy of the knowledge base and its index, never into
    # the bundled sample or the index the other tests share.
    kb, data = scratch / "kb", scratch / "data"
    shutil.copytree(SAMPLE_KB_DIR, kb)
    data.mkdir()
    shutil.copytree(CACHE / "models", data / "models")
    shutil.copytree((CACHE / "index").resolve(), data / ".index-cached")
    (data / "index").symlink_to(".index-cached")
    app = create_app(
        load_settings(
            data_dir=data,
            knowledge={"kb_dir": kb},
            database_url=database_url,
            # 429s are tested on their own; here every request must reach its route
            limits=LimitSettings(enabled=False),
            tickets=TicketSettings(run_sync_worker=False),
            rasa_actions=RasaActionSettings(token=SecretStr(RASA_TOKEN)),
            # The vendor routes too (not in the schema): Slack's Web API unreachable, Teams'
            # issuer local.
            slack_signing_secret=SecretStr(SIGNING_SECRET),
            slack_bot_token=SecretStr(TOKEN),
            slack_api_url=f"http://127.0.0.1:{free_port()}/api/",
            teams=teams_settings(issuer),
        )
    )
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 600  # a fresh machine builds the index and the model first
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the app did not start", pytrace=False)
        time.sleep(0.05)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", token=token, rasa_token=RASA_TOKEN)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


@pytest.fixture(scope="module")
def api_schema(live: Live) -> BaseSchema:
    # Event streams never end: a request to one would wait for the timeout.
    return from_url(f"{live.url}/openapi.json").exclude(path_regex=r"/events$")


def _fuzz(
    operation: APIOperation, mode: GenerationMode, callers: dict[str, dict[str, str]]
) -> None:
    """Each generated case is sent once per caller: generating them (negative ones above all)
    costs far more than sending them."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ
    def run(case: Case) -> None:
        for caller, headers in callers.items():
            try:
                case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)
            except Exception as error:
                error.add_note(f"as {caller}")
                raise

    try:
        run()
    except Unsatisfiable:
        # Nothing to get wrong: no parameters, or none a negative case can be made of.
        assert mode is GenerationMode.NEGATIVE


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation(api_schema: BaseSchema, live: Live, mode: GenerationMode) -> None:
    """Every case as an admin with a bearer token and as an anonymous caller."""
    callers = {"admin": {"Authorization": f"Bearer {live.token}"}, "anonymous": {}}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    assert {"POST /webhook", "GET /actions"} <= {operation.label for operation in operations}
    failures: list[str] = []
    for operation in operations:
        try:
            _fuzz(operation, mode, callers)
        except Exception as error:  # every operation's findings, not only the first one's
            failures.append(f"{operation.label}: {error} {getattr(error, '__notes__', '')}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_action_server_with_the_names_of_its_actions(
    api_schema: BaseSchema, live: Live, mode: GenerationMode
) -> None:
    """`POST /webhook` with the name of an action it serves, so that the generated domain and
    tracker reach the action (a random name only gets a 404): `"domain": {}` was a 500 the
    fuzzing above missed (issue 13, row 11)."""
    operation = api_schema["/webhook"]["POST"]
    rasa = {"Authorization": f"Bearer {live.rasa_token}"}
    names = [action["name"] for action in httpx.get(f"{live.url}/actions", headers=rasa).json()]
    assert names

    @given(case=operation.as_strategy(generation_mode=mode), name=st.sampled_from(names))
    @FUZZ
    def run(case: Case, name: str) -> None:
        if isinstance(case.body, dict):
            case.body["next_action"] = name
        case.call_and_validate(headers=rasa, checks=CHECKS, timeout=30)

    run()


# Slack's events and Teams' activities are defined by their vendors, not in Guichet's schema:
# fuzzed from a schema of their own, whatever the headers and the body.
VENDOR_ROUTES: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Slack and Teams routes", "version": "1"},
    "paths": {
        "/slack/events": {
            "post": {
                "parameters": [
                    {"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
                    for name in ("X-Slack-Request-Timestamp", "X-Slack-Signature")
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {"default": {"description": "anything but a server error"}},
            }
        },
        "/api/messages": {
            "post": {
                "parameters": [
                    {
                        "name": "Authorization",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                },
                "responses": {"default": {"description": "anything but a server error"}},
            }
        },
    },
}


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_vendor_routes_with_malformed_headers_and_bodies(
    live: Live, mode: GenerationMode
) -> None:
    """Issue 13: a malformed Slack signature header or Teams token was a 500."""
    operations = [result.ok() for result in from_dict(VENDOR_ROUTES).get_all_operations()]
    assert {operation.label for operation in operations} == {
        "POST /slack/events",
        "POST /api/messages",
    }
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @FUZZ
        def run(case: Case) -> None:
            case.call_and_validate(base_url=live.url, checks=[not_a_server_error], timeout=30)

        try:
            run()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE
