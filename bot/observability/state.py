"""Gauges of shared state, read when `/metrics` is scraped: the outbox of each ITSM backend,
the open tickets past their SLA targets, and the knowledge index this process serves."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.storage.operations import Backlog, Breaches, OperationsReader
from knowledge_index.service import IndexedKnowledgeBase

SLA_TARGETS = ("first_response", "resolution")


class StateSnapshot(Collector):
    """What was read for one scrape, as Prometheus metric families."""

    def __init__(
        self,
        *,
        backlog: list[Backlog],
        breaches: list[Breaches],
        backends: Iterable[str],
        knowledge: IndexedKnowledgeBase,
        now: datetime,
    ) -> None:
        self.backlog = {item.backend: item for item in backlog}
        # The configured backends show 0 when their outbox is empty, not nothing.
        for name in backends:
            self.backlog.setdefault(name, Backlog(name, 0, 0, None))
        self.breaches = breaches
        self.knowledge = knowledge
        self.now = now

    def collect(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily(
            "guichet_itsm_outbox_pending",
            "Changes waiting to be pushed to an ITSM backend (due or retried later)",
            labels=["backend"],
        )
        failed = GaugeMetricFamily(
            "guichet_itsm_outbox_failed",
            "Changes parked after an error that retrying cannot fix",
            labels=["backend"],
        )
        age = GaugeMetricFamily(
            "guichet_itsm_outbox_oldest_pending_age_seconds",
            "Age of the oldest change waiting for an ITSM backend (0 when none waits)",
            labels=["backend"],
        )
        for name, item in sorted(self.backlog.items()):
            pending.add_metric([name], item.pending)
            failed.add_metric([name], item.failed)
            oldest = item.oldest_pending
            age.add_metric([name], max(0.0, (self.now - oldest).total_seconds()) if oldest else 0)
        yield from (pending, failed, age)
        late = GaugeMetricFamily(
            "guichet_tickets_sla_breached",
            "Open tickets past their first-response or resolution target, by priority",
            labels=["target", "priority"],
        )
        for breaches in self.breaches:
            late.add_metric(["first_response", breaches.priority], breaches.first_response)
            late.add_metric(["resolution", breaches.priority], breaches.resolution)
        yield late
        yield from self._index()

    def _index(self) -> Iterator[Metric]:
        index = self.knowledge.index
        ready = GaugeMetricFamily(
            "guichet_knowledge_index_ready", "1 when this process serves an index, else 0"
        )
        ready.add_metric([], 1 if index is not None else 0)
        yield ready
        if index is None:
            return
        manifest = index.manifest
        entries = GaugeMetricFamily(
            "guichet_knowledge_index_entries", "Entries (articles, catalog items...) indexed"
        )
        entries.add_metric([], manifest.entries)
        passages = GaugeMetricFamily(
            "guichet_knowledge_index_passages", "Passages searched (entries cut in parts)"
        )
        passages.add_metric([], manifest.passages)
        built = GaugeMetricFamily(
            "guichet_knowledge_index_built_timestamp_seconds", "When the served index was built"
        )
        built.add_metric([], manifest.built_at.timestamp())
        info = InfoMetricFamily("guichet_knowledge_index", "The index version this process serves")
        info.add_metric(
            [],
            {
                "version": self.knowledge.version or "unversioned",
                "content_hash": manifest.content_hash[:12],
                "embedder": manifest.embedder,
            },
        )
        yield from (entries, passages, built, info)


async def read_state(
    reader: OperationsReader,
    knowledge: IndexedKnowledgeBase,
    backends: Iterable[str],
    now: datetime,
) -> StateSnapshot:
    """Two grouped queries; the index figures are this process's own."""
    return StateSnapshot(
        backlog=await reader.outbox_backlog(),
        breaches=await reader.sla_breaches(now),
        backends=backends,
        knowledge=knowledge,
        now=now,
    )
