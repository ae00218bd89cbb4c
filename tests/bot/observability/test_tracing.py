"""Traces through the real app, caught by the SDK's in-memory exporter: one trace per chat
message (HTTP request, dialogue turn, NLU, search, action, SQL), the ITSM call of the ticket it
created in the same trace; and nothing installed without an endpoint."""

from __future__ import annotations

import httpx
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot.app.services import sync_worker
from bot.app.web import create_app
from bot.observability import spans
from bot.observability.tracing import Tracing
from bot.services import Services
from bot.settings.operations import OtelSettings
from tests.bot.auth.helpers import bearer
from tests.faults.servers import CountingServiceNow

TICKET_FROM_CHAT = (
    "Please open a ticket: the printer on floor 3 is jammed and prints nothing",
    '/inform{"impact": "person"}',
    '/inform{"urgency": "high"}',
    "/affirm",
)

REQUEST_WORK = {"dialogue.turn", "nlu.parse", "knowledge.search", "action.run"}


def _one(found: list[ReadableSpan], name: str) -> ReadableSpan:
    named = [span for span in found if span.name == name]
    assert len(named) == 1, [span.name for span in found]
    return named[0]


def _parent_of(child: ReadableSpan, parent: ReadableSpan) -> bool:
    assert child.parent is not None and parent.context is not None
    return child.parent.span_id == parent.context.span_id


def _traces(found: list[ReadableSpan]) -> dict[int, list[ReadableSpan]]:
    by_trace: dict[int, list[ReadableSpan]] = {}
    for span in found:
        assert span.context is not None
        by_trace.setdefault(span.context.trace_id, []).append(span)
    return by_trace


async def test_a_message_is_one_trace_down_to_the_itsm_call(
    synced: Services, servicenow: CountingServiceNow
) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(synced.settings, synced, tracing=Tracing(OtelSettings(), exporter))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://guichet.test",
            headers=await bearer(synced),
        ) as client,
    ):
        started = await client.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
        messages = f"/api/v1/conversations/{started.json()['id']}/messages"
        exporter.clear()
        answered = await client.post(messages, json={"text": "How do I connect to the VPN?"})
        assert answered.status_code == 200
        question = exporter.get_finished_spans()
        for text in TICKET_FROM_CHAT:
            exporter.clear()
            assert (await client.post(messages, json={"text": text})).status_code == 200
        ticket_turn = list(exporter.get_finished_spans())
        worker = sync_worker(synced)
        assert worker is not None
        try:
            assert await worker.deliver_once() == 1
        finally:
            await worker.aclose()
        everything = list(exporter.get_finished_spans())  # the last turn, then the push
    assert servicenow.instance.tables["incident"], "the ticket reached the ITSM tool"

    # A question answered from the knowledge base: one trace, each span inside the one above.
    # Background loops (sweeps, outbox) may finish a span of their own meanwhile: their own
    # traces, none of the request's work in them.
    server = _one(list(question), "POST /api/v1/conversations/{conversation_id}/messages")
    assert server.context is not None
    others = [
        span
        for trace_id, found in _traces(list(question)).items()
        if trace_id != server.context.trace_id
        for span in found
    ]
    assert not {span.name for span in others} & REQUEST_WORK, [span.name for span in others]
    question = tuple(span for span in question if span not in others)
    turn = _one(list(question), "dialogue.turn")
    assert _parent_of(turn, server)
    assert _parent_of(_one(list(question), "nlu.parse"), turn)
    assert _parent_of(_one(list(question), "knowledge.search"), turn)
    assert any(s.attributes and "db.statement" in s.attributes for s in question), "SQL spans"

    # The confirmation that created the ticket, and later the worker's push of it: one trace.
    action = _one(everything, "action.run")
    assert action.attributes is not None and action.attributes["guichet.action"] == "create_ticket"
    assert _parent_of(action, _one(ticket_turn, "dialogue.turn"))
    push = _one(everything, "itsm.create")
    assert _parent_of(push, action)
    calls = [s for s in everything if s.parent is not None and _parent_of(s, push)]
    assert calls and all(s.kind is trace.SpanKind.CLIENT for s in calls)
    assert any(
        str(attributes.get("url.full", attributes.get("http.url", ""))).startswith(
            servicenow.server.url
        )
        for attributes in (s.attributes or {} for s in calls)
    )
    assert len(_traces([action, push, *calls])) == 1


async def test_no_endpoint_no_tracing(client: httpx.AsyncClient, app: object) -> None:
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert spans.span("dialogue.turn") is spans.span("nlu.parse")  # the one shared no-op
    assert spans.carrier() == {}
    started = await client.post("/api/v1/conversations", json={"user": "ann@norvane.example"})
    messages = f"/api/v1/conversations/{started.json()['id']}/messages"
    assert (await client.post(messages, json={"text": "hello"})).status_code == 200
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)
    assert not trace.get_current_span().get_span_context().is_valid
