"""OpenTelemetry traces, only when `GUICHET_OTEL__ENDPOINT` is set: then FastAPI, SQLAlchemy,
httpx and Redis are instrumented and spans leave over OTLP/HTTP; otherwise nothing of this
module runs, no tracer provider is installed, and the core's `spans.span()` is a no-op.

A chat message is one trace: the HTTP request, `dialogue.turn`, `nlu.parse`,
`knowledge.search`, `action.run`, the SQL statements, and, later, the sync worker's push of
the ticket it created (`itsm.<operation>`, the child of the turn that queued it: the trace
context rides in the outbox item) with its HTTP call to the ITSM tool.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.observability import spans
from bot.settings.operations import OtelSettings

log = logging.getLogger("guichet.tracing")
# Probes and scrapes would be most of the traces and tell nothing.
EXCLUDED_URLS = "/healthz,/readyz,/metrics"


class Tracing:
    """A tracer provider and the instrumentations, for one process.

    `exporter` replaces the OTLP exporter (the tests' in-memory one, exported at once); the
    global tracer provider is set only for the OTLP exporter, once per process.
    """

    def __init__(self, settings: OtelSettings, exporter: SpanExporter | None = None) -> None:
        self.settings = settings
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": settings.service_name}),
            sampler=ParentBased(TraceIdRatioBased(settings.sample_ratio)),
        )
        processor: SpanProcessor
        if exporter is not None:
            processor = SimpleSpanProcessor(exporter)
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            processor = BatchSpanProcessor(
                OTLPSpanExporter(endpoint=f"{settings.endpoint}/v1/traces")
            )
        self.provider.add_span_processor(processor)
        self.is_global = exporter is None
        self._database: SQLAlchemyInstrumentor | None = None

    @classmethod
    def configured(cls, settings: OtelSettings) -> Tracing | None:
        """The process's tracing when an endpoint is set, else None: nothing is installed."""
        return cls(settings) if settings.endpoint else None

    def instrument_app(self, app: FastAPI) -> None:
        """Server spans for every request (before the app starts: it adds a middleware)."""
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=self.provider,
            excluded_urls=EXCLUDED_URLS,
            exclude_spans=["receive", "send"],
        )

    def start(self, engine: AsyncEngine | None = None) -> None:
        """Trace from now on: manual spans, httpx, Redis and the database's statements."""
        if self.is_global and not isinstance(trace.get_tracer_provider(), TracerProvider):
            trace.set_tracer_provider(self.provider)
        HTTPXClientInstrumentor().instrument(tracer_provider=self.provider)
        RedisInstrumentor().instrument(tracer_provider=self.provider)
        if engine is not None:
            self._database = SQLAlchemyInstrumentor()
            # The instrumentation declares SQLAlchemy < 2.1; its engine events work on 2.1.
            self._database.instrument(
                engine=engine.sync_engine, tracer_provider=self.provider, skip_dep_check=True
            )
        spans.activate(self.provider.get_tracer(spans.TRACER_NAME))
        log.info("tracing to %s", self.settings.endpoint or "a local exporter")

    def stop(self) -> None:
        """Undo `start` and send what is still buffered."""
        spans.activate(None)
        HTTPXClientInstrumentor().uninstrument()
        RedisInstrumentor().uninstrument()
        if self._database is not None:
            self._database.uninstrument()
            self._database = None
        self.provider.force_flush()
        if not self.is_global:
            self.provider.shutdown()
