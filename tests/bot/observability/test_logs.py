"""The service's log lines through the real app, as `guichet serve` configures logging: one JSON
object per line, one access line per request, the request's id in the response and in every
line written while it is served (the libraries' too), the conversation's id in a message's
lines, and nothing of what the caller sent in clear."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import Receive, Scope, Send

from bot.app.web import create_app
from bot.observability.access import SPAN_ATTRIBUTE, RequestLog
from bot.observability.log_format import configure_logging
from bot.observability.tracing import Tracing
from bot.services import Services
from bot.settings import load_settings
from bot.settings.operations import LogSettings, OtelSettings
from tests.bot.auth.helpers import bearer

GENERATED = re.compile(r"[0-9a-f]{32}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SQL_LOGGER = "sqlalchemy.engine.Engine"


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line parsed: a line that is not one JSON object fails the test."""
        parsed = [json.loads(line) for line in self.text().splitlines()]
        assert all(isinstance(line, dict) for line in parsed)
        return parsed

    def access(self) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["logger"] == "guichet.access"]


def _capture(log_format: str, level: str = "INFO") -> Iterator[Captured]:
    """Logging configured as `guichet serve` does, its handler writing to a buffer; pytest's
    own handlers and levels given back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    configure_logging(load_settings(log=LogSettings(format=log_format), log_level=level))
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        yield Captured(stream)
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)


@pytest.fixture
def json_logs() -> Iterator[Captured]:
    yield from _capture("json")


@pytest.fixture
def text_logs() -> Iterator[Captured]:
    yield from _capture("text")


@pytest.fixture
def sql_logged() -> Iterator[None]:
    """SQLAlchemy writes each statement and its parameters (INFO), as an operator chasing a
    problem may have it do: lines of a library, written inside the request."""
    logger = logging.getLogger(SQL_LOGGER)
    saved = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.setLevel(saved)


def _client(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 51234)),
        base_url="http://guichet.test",
        headers=headers,
    )


async def test_one_access_line_per_request(
    app: FastAPI, services: Services, json_logs: Captured
) -> None:
    async with _client(app, await bearer(services)) as client:
        ok = await client.get("/healthz")
        found = await client.get("/api/v1/tickets/GCH-NOPE")
        missing = await client.get("/no/such/page")
    lines = json_logs.access()
    assert len(lines) == 3, lines
    first, second, third = lines
    assert TIME.fullmatch(first["time"])
    assert first["level"] == "INFO"
    assert first["message"].startswith("GET /healthz 200 ")
    assert first["method"] == "GET" and first["route"] == "/healthz" and first["status"] == 200
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] >= 0
    assert first["client"] == "203.0.113.9"
    assert "conversation_id" not in first
    assert second["route"] == "/api/v1/tickets/{reference}" and second["status"] == 404
    assert third["route"] == "unmatched" and third["status"] == 404
    for line, response in zip(lines, (ok, found, missing), strict=True):
        assert GENERATED.fullmatch(line["request_id"])
        assert response.headers["X-Request-ID"] == line["request_id"]
    assert len({line["request_id"] for line in lines}) == 3


async def test_a_message_lines_carry_its_request_and_conversation(
    app: FastAPI, services: Services, json_logs: Captured, sql_logged: None
) -> None:
    async with _client(app, await bearer(services)) as client:
        started = await client.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
        conversation = started.json()["id"]
        before = len(json_logs.lines())
        answered = await client.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"text": "How do I connect to the VPN?"},
            headers={"X-Request-ID": "lb-7f3a:0042"},
        )
    assert answered.status_code == 200
    assert answered.headers["X-Request-ID"] == "lb-7f3a:0042"
    during = json_logs.lines()[before:]
    (access,) = [line for line in during if line["logger"] == "guichet.access"]
    assert access["route"] == "/api/v1/conversations/{conversation_id}/messages"
    assert access["request_id"] == "lb-7f3a:0042"
    assert access["conversation_id"] == conversation
    # The statements that save the exchange (the lifespan's loops run statements of their
    # own meanwhile, rightly without the request's id).
    inner = [line for line in during if line["logger"] == SQL_LOGGER and "turns" in line["message"]]
    assert inner, "SQLAlchemy wrote the message's statements"
    assert all(line["request_id"] == "lb-7f3a:0042" for line in inner)
    assert all(line["conversation_id"] == conversation for line in inner)
    # Started in the request, its work is the request's; once it is done, nothing carries it.
    logging.getLogger("tests.after").warning("after the request")
    assert "request_id" not in json_logs.lines()[-1]


async def test_a_turn_outside_a_request_names_its_conversation(
    services: Services, json_logs: Captured, sql_logged: None
) -> None:
    """A channel that is no route of its own (Slack's socket, the CLI's chat): the dialogue
    turn names the conversation for the lines written during it, and only during it."""
    conversation = await services.engine.start(channel="slack", user_id="ann@norvane.example")
    await services.engine.handle(conversation.id, "How do I connect to the VPN?")
    logging.getLogger("tests.after").warning("after the turn")
    lines = json_logs.lines()
    turns = [line for line in lines if line["logger"] == SQL_LOGGER and "turns" in line["message"]]
    assert turns
    assert all(line.get("conversation_id") == conversation.id for line in turns)
    assert all("request_id" not in line for line in turns)
    assert "conversation_id" not in lines[-1]


@pytest.mark.parametrize(
    "given",
    ["x" * 129, "two words", "<script>", "id;drop", "-leading-dash", ""],
)
async def test_an_unsafe_request_id_is_replaced(
    app: FastAPI, json_logs: Captured, given: str
) -> None:
    async with _client(app, {"X-Request-ID": given}) as client:
        response = await client.get("/healthz")
    (line,) = json_logs.access()
    assert GENERATED.fullmatch(line["request_id"])
    assert response.headers["X-Request-ID"] == line["request_id"]
    if given:
        assert given not in json_logs.text()


async def test_what_the_caller_sent_never_reaches_a_line(
    app: FastAPI, services: Services, json_logs: Captured, sql_logged: None
) -> None:
    """A password in a message, a token in a query string, the caller's e-mail address and
    bearer token: with every SQL statement and its parameters logged, none of them is there."""
    headers = await bearer(services, role="employee", email="zoe.secret@norvane.example")
    token = headers["Authorization"].removeprefix("Bearer ")
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ6b2UifQ.c2lnbmF0dXJlc2lnbmF0dXJl"
    async with _client(app, headers) as client:
        started = await client.post(
            "/api/v1/conversations", json={"user": "zoe.secret@norvane.example"}
        )
        conversation = started.json()["id"]
        sent = await client.post(
            f"/api/v1/conversations/{conversation}/messages",
            json={"text": "my password is Tr0ub4dor&3xyz and the VPN refuses it"},
        )
        suggested = await client.get(
            "/api/v1/suggest", params={"q": "vpn", "lang": "en", "access_token": jwt}
        )
    assert sent.status_code == 200 and suggested.status_code == 200
    output = json_logs.text()
    assert any(line["logger"] == SQL_LOGGER for line in json_logs.lines())
    assert "[REDACTED:email]" in output  # the address was in the statements' parameters
    for secret in ("zoe.secret@norvane.example", "Tr0ub4dor", token, jwt):
        assert secret not in output, secret
    routes = [line["route"] for line in json_logs.access()]
    assert routes == [
        "/api/v1/conversations",
        "/api/v1/conversations/{conversation_id}/messages",
        "/api/v1/suggest",
    ]


async def test_text_lines_name_the_request(app: FastAPI, text_logs: Captured) -> None:
    async with _client(app, {"X-Request-ID": "req-1"}) as client:
        await client.get("/healthz")
    (line,) = [line for line in text_logs.text().splitlines() if "guichet.access" in line]
    assert re.fullmatch(
        r"\S+ \S+ INFO guichet\.access: GET /healthz 200 \d+\.\d ms "
        r"\[request_id=req-1 client=203\.0\.113\.9\]",
        line,
    ), line


async def test_the_access_line_can_be_turned_off(services: Services, json_logs: Captured) -> None:
    settings = services.settings.model_copy(update={"log": LogSettings(access=False)})
    app = create_app(settings, services)
    async with app.router.lifespan_context(app), _client(app) as client:
        response = await client.get("/healthz")
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    assert json_logs.access() == []


async def test_the_request_id_is_on_the_request_span(services: Services) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(services.settings, services, tracing=Tracing(OtelSettings(), exporter))
    async with app.router.lifespan_context(app), _client(app, {"X-Request-ID": "req-2"}) as client:
        assert (await client.get("/api/v1/suggest?q=vpn&lang=en")).status_code == 200
    (server,) = [s for s in exporter.get_finished_spans() if s.name == "GET /api/v1/suggest"]
    assert server.attributes is not None
    assert server.attributes[SPAN_ATTRIBUTE] == "req-2"


async def test_an_unhandled_error_is_logged_as_part_of_its_request(json_logs: Captured) -> None:
    """As uvicorn runs a request (a task of its own, which logs what the app raised): the
    access line says 500, and the traceback's line carries the request's id."""

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    async def serve_one() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/x",
            "headers": [(b"x-request-id", b"req-3")],
            "client": ("203.0.113.9", 1),
        }
        try:
            await RequestLog(broken, access=True)(scope, _nothing, _ignore)
        except RuntimeError:
            logging.getLogger("uvicorn.error").exception("Exception in ASGI application")

    await asyncio.create_task(serve_one())
    logging.getLogger("tests.after").warning("after the request")
    access, error, after = json_logs.lines()
    assert (access["status"], access["request_id"]) == (500, "req-3")
    assert error["request_id"] == "req-3" and "RuntimeError: a bug" in error["exception"]
    assert "request_id" not in after


async def _nothing() -> dict[str, object]:
    return {"type": "http.request", "body": b""}


async def _ignore(message: object) -> None:
    return None


async def test_a_bug_answers_500_with_the_request_id(
    services: Services, json_logs: Captured
) -> None:
    """Starlette's outermost middleware answers what the app raised: the client still gets the
    id its request's lines carry, to quote when reporting it."""
    app = create_app(services.settings, services)

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://guichet.test",
            headers={"X-Request-ID": "req-500"},
        ) as client,
    ):
        response = await client.get("/api/v1/broken")
    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "req-500"
    assert response.json()["error"] == "InternalServerError"
    assert "req-500" in response.json()["detail"] and "a bug" not in response.text
    (access,) = json_logs.access()
    assert (access["status"], access["request_id"]) == (500, "req-500")
