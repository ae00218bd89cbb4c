"""The `TicketBackend` plug-in point: one ITSM tool (Request Tracker, ServiceNow, ...).

Guichet keeps its own ticket store; an outbox worker pushes each ticket and change to the
organisation's ITSM tool through a backend, and polls the changes made there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel

from bot.kernel.assets import AssetLink
from bot.kernel.errors import GuichetError
from bot.kernel.tickets import Impact, Status, TicketKind, Urgency


class TicketPayload(BaseModel):
    """What Guichet sends upstream when it creates a ticket."""

    reference: str  # Guichet's reference (INC-000042), also the idempotency key
    kind: TicketKind
    requester: str  # e-mail address
    title: str
    description: str
    category: str
    impact: Impact
    urgency: Urgency
    priority: str  # P1..P5
    status: Status = "new"
    # The device or licence the ticket is about. Linked upstream when the ITSM tool is also
    # its inventory (`asset.inventory == backend.name`); the description names it anyway.
    asset: AssetLink | None = None


class UpstreamTicket(BaseModel):
    upstream_id: str
    reference: str | None  # Guichet's reference when the ticket came from Guichet
    title: str
    status: Status
    priority: str | None = None
    assignee: str | None = None
    updated_at: datetime
    # Upstream ids of the assets linked to the ticket, where the tool links tickets to assets.
    assets: tuple[str, ...] = ()


class UpstreamChange(BaseModel):
    """Something that happened upstream since a given time, in Guichet's terms."""

    upstream_id: str
    at: datetime
    kind: Literal["status", "assignee", "comment"]
    status: Status | None = None
    assignee: str | None = None
    comment: str | None = None
    author: str | None = None


class BackendError(GuichetError):
    """Root of the errors a backend raises; `retryable` tells the outbox whether to try again."""

    message = "{backend}: {problem}"
    retryable = False


class BackendUnavailable(BackendError):
    """5xx, 429, timeouts, connection refused: try again later (after `retry_after` seconds)."""

    retryable = True

    def __init__(self, *, backend: str, problem: str, retry_after: float | None = None) -> None:
        super().__init__(backend=backend, problem=problem)
        self.retry_after = retry_after


class BackendRejected(BackendError):
    """401/403 (credentials), 400/422 (payload): retrying the same call will not help."""


class UpstreamNotFound(BackendError):
    """404: the upstream ticket does not exist (or is not visible with these credentials)."""


class UpstreamConflict(BackendError):
    """409: the change conflicts with the upstream state (e.g. a forbidden transition)."""


class TicketBackend(Protocol):
    """One ITSM tool. Every call has a timeout; failures raise a `BackendError` subclass.

    `create` is idempotent on `payload.reference`: calling it again after a timeout returns the
    upstream id of the ticket created the first time instead of creating a second one.
    Statuses, impact and urgency are Guichet's; the backend maps them to the tool's own values.
    """

    name: str

    async def create(self, payload: TicketPayload) -> str:
        """Create the ticket upstream (or find the one created before); return its upstream id."""
        ...

    async def get(self, upstream_id: str) -> UpstreamTicket: ...

    async def update_status(self, upstream_id: str, status: Status) -> None: ...

    async def comment(self, upstream_id: str, text: str, *, author: str | None = None) -> None:
        """Add a public comment (visible to the requester)."""
        ...

    async def changes_since(self, since: datetime) -> list[UpstreamChange]:
        """Status, assignee and public-comment changes made upstream after `since`, oldest first."""
        ...

    async def aclose(self) -> None: ...
