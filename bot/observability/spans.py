"""The core's manual spans (`dialogue.turn`, `nlu.parse`, `knowledge.search`, `action.run`,
`itsm.<operation>`): the OpenTelemetry API only, and nothing at all until the composition
root activates a tracer (`tracing.Tracing`, when `GUICHET_OTEL__ENDPOINT` is set)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACER_NAME = "guichet"
CARRIER_KEY = "traceparent"  # W3C trace context, kept in an outbox item's payload

_NOTHING: AbstractContextManager[None] = nullcontext()
_PROPAGATOR = TraceContextTextMapPropagator()
# Set while a `Tracing` runs; None: every helper below returns at once.
_tracer: trace.Tracer | None = None


def span(
    name: str, attributes: Mapping[str, str | int | float | bool] | None = None
) -> AbstractContextManager[Any]:
    """A child span of the current one; a shared no-op when tracing is off."""
    if _tracer is None:
        return _NOTHING
    return _tracer.start_as_current_span(name, attributes=attributes)


def annotate(key: str, value: str) -> None:
    """An attribute of the current span (a request's server span, in a middleware inside it)."""
    if _tracer is not None:
        trace.get_current_span().set_attribute(key, value)


def carrier() -> dict[str, str]:
    """The current trace context, to be stored with work done later (an outbox item)."""
    if _tracer is None:
        return {}
    found: dict[str, str] = {}
    _PROPAGATOR.inject(found)
    return found


def continued(
    name: str,
    stored: Mapping[str, Any],
    attributes: Mapping[str, str | int | float | bool] | None = None,
) -> AbstractContextManager[Any]:
    """A span continuing the trace whose context `stored` kept (see `carrier`)."""
    if _tracer is None:
        return _NOTHING
    value = stored.get(CARRIER_KEY)
    context = _PROPAGATOR.extract({CARRIER_KEY: value}) if isinstance(value, str) else None
    return _tracer.start_as_current_span(
        name, context=context, kind=SpanKind.CONSUMER, attributes=attributes
    )


def activate(tracer: trace.Tracer | None) -> None:
    """Start (a tracer) or stop (None) the spans above."""
    global _tracer
    _tracer = tracer
