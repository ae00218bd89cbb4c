"""The Prometheus side: counters behind the `Observer` hook, and the text `/metrics` renders.

One process: the counters live in a registry of the app's own. Several (`guichet serve
--workers N`): prometheus-client's multi-process mode, chosen by `PROMETHEUS_MULTIPROC_DIR`
before the workers import anything; each process writes its counters to files there and
`/metrics`, in whichever process answers, adds them up. Gauges of shared state (outbox,
SLA breaches, index) are read when scraped, by the process that answers (`state.py`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
    values,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from bot.kernel.messages import HANDOFF_REASONS
from bot.observability.observer import AnswerSource, Observer

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Seconds; from a cached suggestion (a few ms) to a message waiting on a conversation lock.
# The channels Guichet has; a name an API caller made up counts as "other" (bounded series).
CHANNELS = frozenset({"api", "web", "slack", "teams", "rest", "rasa", "cli"})
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_dir() -> Path | None:
    """The folder of multi-process mode, when this process writes its metrics there."""
    path = os.environ.get(MULTIPROCESS_ENV)
    return Path(path) if path and getattr(values.ValueClass, "_multiprocess", False) else None


def prepare_multiprocess_dir(path: Path) -> None:
    """Empty `path` and point the processes started from now on at it (before they import
    prometheus-client): counters of an earlier run would otherwise be added to this one's."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(path)


class PrometheusObserver(Observer):
    """The core's events as Prometheus counters, and the HTTP latency histogram."""

    def __init__(self) -> None:
        self.shared = multiprocess_dir()
        # In multi-process mode the values go to files; the registry only serves one process.
        self.registry: CollectorRegistry | None = None if self.shared else CollectorRegistry()
        if self.registry is not None:
            ProcessCollector(registry=self.registry)  # process_cpu_seconds_total and others
        registry = self.registry
        self.http_duration = Histogram(
            "guichet_http_request_duration_seconds",
            "HTTP requests by route template, method and status class (2xx, 4xx, 5xx); "
            "_count is the number of requests",
            ["route", "method", "status_class"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.messages = Counter(
            "guichet_chat_messages",
            "Users' messages handled by the dialogue engine, by channel",
            ["channel"],
            registry=registry,
        )
        self.answers = Counter(
            "guichet_answers",
            "Knowledge-base verdicts: answered, or not sure (an abstention), by where asked",
            ["source", "outcome"],
            registry=registry,
        )
        self.suggestions = Counter(
            "guichet_suggestions", "Omnibox requests answered with suggestions", registry=registry
        )
        self.handoffs = Counter(
            "guichet_handoffs",
            "Conversations handed to the agents, by reason",
            ["reason"],
            registry=registry,
        )
        self.tickets = Counter(
            "guichet_tickets_created",
            "Tickets created, by category and priority",
            ["category", "priority"],
            registry=registry,
        )
        self.sync_errors = Counter(
            "guichet_itsm_sync_errors",
            "Failed pushes to (create, status, comment) and polls of (poll) an ITSM backend",
            ["backend", "operation"],
            registry=registry,
        )

    def request(self, route: str, method: str, status_class: str, seconds: float) -> None:
        self.http_duration.labels(route, method, status_class).observe(seconds)

    def message(self, channel: str) -> None:
        self.messages.labels(channel if channel in CHANNELS else "other").inc()

    def answer(self, source: AnswerSource, *, answered: bool) -> None:
        self.answers.labels(source, "answered" if answered else "not_sure").inc()

    def suggestions_served(self) -> None:
        self.suggestions.inc()

    def handoff(self, reason: str) -> None:
        self.handoffs.labels(reason if reason in HANDOFF_REASONS else "other").inc()

    def ticket_created(self, category: str, priority: str) -> None:
        self.tickets.labels(category, priority).inc()

    def sync_error(self, backend: str, operation: str) -> None:
        self.sync_errors.labels(backend, operation).inc()

    def render(self, *scraped: Collector) -> bytes:
        """The text exposition: this process's (or every worker's) counters, and `scraped`."""
        registry = CollectorRegistry()
        if self.shared is not None:
            MultiProcessCollector(registry, path=str(self.shared))  # type: ignore[no-untyped-call]
        else:
            assert self.registry is not None
            registry.register(_Registered(self.registry))
        for collector in scraped:
            registry.register(collector)
        return generate_latest(registry)


class _Registered(Collector):
    """A registry seen as one collector, to be rendered beside the scrape-time ones."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()
