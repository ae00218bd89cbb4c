"""The sync worker: delivers the outbox to each ITSM backend and brings their changes back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import datetime, timedelta

from bot.kernel.assets import AssetLink
from bot.kernel.domain import utcnow
from bot.kernel.itsm import BackendError, TicketBackend, TicketPayload, UpstreamChange
from bot.kernel.ticket_models import Ticket
from bot.kernel.tickets import InvalidTransition
from bot.observability.observer import NO_OBSERVER, Observer
from bot.observability.spans import continued
from bot.scale.locks import ConversationLocks
from bot.storage.outbox import OutboxItem
from bot.tickets.maintenance import MaintenanceRounds
from bot.tickets.notify import TicketNotifier
from bot.tickets.service import TicketService

log = logging.getLogger("guichet.sync")
FIRST_POLL_LOOKBACK = timedelta(days=1)


def payload_of(ticket: Ticket) -> TicketPayload:
    return TicketPayload(
        reference=ticket.reference,
        kind=ticket.kind,
        requester=ticket.requester,
        title=ticket.title,
        description=ticket.description,
        category=ticket.category,
        impact=ticket.impact,
        urgency=ticket.urgency,
        priority=ticket.priority,
        status=ticket.status,
        asset=AssetLink.model_validate(ticket.details["asset"])
        if ticket.details.get("asset")
        else None,
    )


def backoff(attempts: int, *, retry_after: float | None, cap: float) -> timedelta:
    """Exponential backoff with jitter (1 s, 2 s, 4 s ... up to `cap`), or what the server asked."""
    if retry_after is not None:
        return timedelta(seconds=min(retry_after, cap))
    return timedelta(seconds=min(cap, 2**attempts) * random.uniform(0.8, 1.2))


class SyncWorker:
    def __init__(
        self,
        service: TicketService,
        backends: Mapping[str, TicketBackend],
        notifier: TicketNotifier,
        *,
        batch: int = 20,
        lease: timedelta = timedelta(seconds=60),
        locks: ConversationLocks | None = None,
        observer: Observer = NO_OBSERVER,
    ) -> None:
        self.service = service
        self.store = service.store
        self.backends = backends
        self.notifier = notifier
        self.batch = batch
        self.lease = lease
        # Shared with the other processes: one of them at a time reads a backend's changes.
        self.locks = locks
        self.observer = observer
        # Change calendars read and planned maintenance announced (when configured).
        self.maintenance: MaintenanceRounds | None = None

    # -- outbound ------------------------------------------------------------------------------

    async def deliver_once(self) -> int:
        """Deliver what is due; returns how many items were delivered."""
        delivered = 0
        for name, backend in self.backends.items():
            while items := await self.store.outbox.claim(
                backend=name, limit=self.batch, lease=self.lease
            ):
                results = await asyncio.gather(*(self._deliver(backend, item) for item in items))
                delivered += sum(results)
                if not any(results):
                    break
        return delivered

    async def _deliver(self, backend: TicketBackend, item: OutboxItem) -> bool:
        try:
            # Part of the trace of the message or request that queued the change.
            with continued(
                f"itsm.{item.operation}",
                item.payload,
                {"guichet.backend": backend.name, "guichet.ticket_id": item.ticket_id},
            ):
                upstream_id = await self._send(backend, item)
        except BackendError as error:
            self.observer.sync_error(backend.name, item.operation)
            retry_after = getattr(error, "retry_after", None)
            retry_at = (
                utcnow()
                + backoff(
                    item.attempts,
                    retry_after=retry_after,
                    cap=self.service.settings.max_backoff_seconds,
                )
                if error.retryable
                else None
            )
            await self.store.outbox.failed(item, error=str(error), retry_at=retry_at)
            log.warning(
                "sync %s #%s %s failed: %s", backend.name, item.ticket_id, item.operation, error
            )
            return False
        except Exception as error:
            self.observer.sync_error(backend.name, item.operation)
            retry_at = utcnow() + backoff(
                item.attempts, retry_after=None, cap=self.service.settings.max_backoff_seconds
            )
            await self.store.outbox.failed(
                item, error=f"{type(error).__name__}: {error}", retry_at=retry_at
            )
            log.exception("sync %s #%s %s crashed", backend.name, item.ticket_id, item.operation)
            return False
        await self.store.outbox.delivered(item, upstream_id=upstream_id)
        return True

    async def _send(self, backend: TicketBackend, item: OutboxItem) -> str | None:
        ticket = await self.store.by_id(item.ticket_id)
        if item.operation == "create":
            return await backend.create(self._payload(ticket))
        upstream_id = await self.store.outbox.upstream_id(item.ticket_id, backend.name)
        if upstream_id is None:
            # The create was refused for good: recreate it first, idempotently.
            upstream_id = await backend.create(self._payload(ticket))
        if item.operation == "status":
            await backend.update_status(upstream_id, item.payload["status"])
        elif item.operation == "comment":
            await backend.comment(
                upstream_id,
                self.service.redactor.redact(item.payload["body"]),
                author=item.payload.get("author"),
            )
        return upstream_id

    def _payload(self, ticket: Ticket) -> TicketPayload:
        """What leaves for an ITSM tool, redacted again: tickets stored before redaction."""
        payload = payload_of(ticket)
        redact = self.service.redactor.redact
        return payload.model_copy(
            update={"title": redact(payload.title), "description": redact(payload.description)}
        )

    # -- inbound -------------------------------------------------------------------------------

    async def poll_once(self) -> int:
        """Apply the changes made upstream since the last poll; returns how many were applied."""
        applied = 0
        for name, backend in self.backends.items():
            async with self._polling(name):
                applied += await self._poll(name, backend)
        return applied

    def _polling(self, backend: str) -> AbstractAsyncContextManager[None]:
        return self.locks.hold(f"sync-poll:{backend}") if self.locks else nullcontext()

    async def _poll(self, name: str, backend: TicketBackend) -> int:
        since = await self.store.outbox.cursor(name) or utcnow() - FIRST_POLL_LOOKBACK
        try:
            changes = await backend.changes_since(since)
        except BackendError as error:
            self.observer.sync_error(name, "poll")
            log.warning("polling %s failed: %s", name, error)
            return 0
        applied = 0
        latest: datetime = since
        for change in changes:
            if await self._apply(name, change):
                applied += 1
            latest = max(latest, change.at)
        if latest > since:
            await self.store.outbox.set_cursor(name, latest)
        return applied

    async def _apply(self, backend: str, change: UpstreamChange) -> bool:
        ticket = await self.store.outbox.by_upstream(backend, change.upstream_id)
        if ticket is None:
            return False
        actor = f"{backend}:{change.author or 'agent'}"
        if change.kind == "status" and change.status and change.status != ticket.status:
            try:
                ticket = await self.service.transition(
                    ticket.reference, change.status, actor=actor, upstream=backend
                )
            except InvalidTransition as refused:
                log.warning("ignored upstream status from %s: %s", backend, refused)
                return False
            await self.notifier.notify(ticket, self.notifier.replies(ticket, status=change.status))
            return True
        if change.kind == "comment" and change.comment:
            comments = await self.store.comments(ticket.reference, internal=True)
            known = {c.body.strip() for c in comments}
            if change.comment.strip() in known:
                return False  # our own comment, echoed back
            ticket = await self.service.comment(
                ticket.reference, author=actor, body=change.comment, upstream=backend, by_agent=True
            )
            await self.notifier.notify(
                ticket,
                self.notifier.replies(
                    ticket,
                    comment=change.comment,
                    author=await self.service.agent_name(change.author) if change.author else None,
                ),
            )
            return True
        if change.kind == "assignee" and change.assignee != ticket.assignee:
            await self.store.change(
                ticket.reference, actor=actor, kind="update", fields={"assignee": change.assignee}
            )
            return True
        return False

    async def aclose(self) -> None:
        for backend in self.backends.values():
            await backend.aclose()
        if self.maintenance is not None:
            await self.maintenance.aclose()

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Deliver and poll until `stop` is set; a failing round is logged, never fatal."""
        while not stop.is_set():
            try:
                await self.deliver_once()
                await self.poll_once()
                if self.maintenance is not None:
                    await self.maintenance.run_due()
            except Exception:
                log.exception("sync round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
