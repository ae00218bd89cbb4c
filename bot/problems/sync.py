"""Delivers the problem outbox to the ITSM tools that have problem records.

Items of one problem go in order: its creation, its updates, then its links, each link once
the incident itself is in the tool (the ticket outbox creates it; until then the link waits).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import timedelta

from bot.kernel.domain import utcnow
from bot.kernel.itsm import BackendError
from bot.kernel.problems import ProblemBackend, ProblemPayload
from bot.privacy.redact import Redactor
from bot.storage.problems import ProblemOutboxItem, ProblemStore
from bot.tickets.sync import backoff

log = logging.getLogger("guichet.problems.sync")
MAX_BACKOFF_SECONDS = 300.0


class IncidentNotSynced(BackendError):
    """The incident is not in the tool yet: the link is tried again later."""

    message = "{backend}: incident {reference} is not synced yet"
    retryable = True


class ProblemSyncWorker:
    def __init__(
        self,
        store: ProblemStore,
        backends: Mapping[str, ProblemBackend],
        *,
        redactor: Redactor | None = None,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self.store = store
        self.backends = backends
        self.redactor = redactor or Redactor()
        self.lease = lease

    async def deliver_once(self) -> int:
        delivered = 0
        for name, backend in self.backends.items():
            while items := await self.store.claim(backend=name, lease=self.lease):
                results = [await self._deliver(backend, item) for item in items]
                delivered += sum(results)
                if not any(results):
                    break
        return delivered

    async def _deliver(self, backend: ProblemBackend, item: ProblemOutboxItem) -> bool:
        try:
            upstream_id = await self._send(backend, item)
        except BackendError as error:
            retry_at = (
                utcnow()
                + backoff(
                    item.attempts,
                    retry_after=getattr(error, "retry_after", None),
                    cap=MAX_BACKOFF_SECONDS,
                )
                if error.retryable
                else None
            )
            await self.store.failed(item, error=str(error), retry_at=retry_at)
            log.warning(
                "problem sync %s #%s %s: %s", backend.name, item.problem_id, item.operation, error
            )
            return False
        await self.store.delivered(item, upstream_id=upstream_id)
        return True

    async def _payload(self, problem_id: int) -> ProblemPayload:
        problem = await self.store.by_id(problem_id)
        redact = self.redactor.redact
        return ProblemPayload(
            reference=problem.reference,
            title=redact(problem.title),
            description=redact(problem.description),
            status=problem.status,
            root_cause=redact(problem.root_cause),
            workaround=redact(
                "\n\n".join(w for w in (problem.workaround_en, problem.workaround_fr) if w)
            ),
        )

    async def _send(self, backend: ProblemBackend, item: ProblemOutboxItem) -> str:
        upstream_id = await self.store.upstream_id(item.problem_id, backend.name)
        if item.operation == "create" or upstream_id is None:
            upstream_id = await backend.create_problem(await self._payload(item.problem_id))
            if item.operation == "create":
                return upstream_id
        if item.operation == "update":
            await backend.update_problem(upstream_id, await self._payload(item.problem_id))
        elif item.operation in ("link", "unlink"):
            reference = str(item.payload["ticket"])
            incident = await self.store.incident_upstream_id(reference, backend.name)
            if incident is None:
                raise IncidentNotSynced(backend=backend.name, reference=reference)
            if item.operation == "link":
                await backend.link_incident(upstream_id, incident)
            else:
                await backend.unlink_incident(upstream_id, incident)
        return upstream_id

    async def aclose(self) -> None:
        for backend in self.backends.values():
            close = getattr(backend, "aclose", None)
            if close is not None:
                await close()

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        while not stop.is_set():
            try:
                await self.deliver_once()
            except Exception:
                log.exception("problem sync round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
