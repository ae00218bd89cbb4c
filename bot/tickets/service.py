"""Ticket rules over the store: priority, SLA due dates, lifecycle, and what is pushed upstream."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from bot.kernel.domain import utcnow
from bot.kernel.errors import Conflict, InvalidRequest
from bot.kernel.i18n import t
from bot.kernel.people import shown_name
from bot.kernel.sla import due
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.kernel.tickets import (
    CATEGORIES,
    IMPACTS,
    PAUSED,
    STATUSES,
    URGENCIES,
    Status,
    check_transition,
)
from bot.observability.observer import NO_OBSERVER, Observer
from bot.privacy.redact import Redactor
from bot.settings import TicketSettings
from bot.storage.tickets import TicketStore, WriteHook

AGENT_STATUSES: tuple[Status, ...] = ("assigned", "in_progress", "resolved", "rejected")
# An account's display name by e-mail (None when there is no such account): the auth store's.
Directory = Callable[[str], Awaitable[str | None]]
# Told of each status change once stored: the ticket as it now is, and who changed it.
TransitionObserver = Callable[[Ticket, str], Awaitable[None]]

log = logging.getLogger(__name__)


class TicketService:
    """The ticket rules over the store; the kernel's `TicketDesk` for the actions."""

    def __init__(
        self,
        store: TicketStore,
        settings: TicketSettings,
        redactor: Redactor | None = None,
        directory: Directory | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.directory = directory
        # Title, description, transcript copy and comments are stored and sent redacted.
        self.redactor = redactor or Redactor()
        self.observer: Observer = NO_OBSERVER  # metrics: tickets created, hand-offs
        # A parent incident's resolution resolves its children; a closed ticket brings a survey.
        self.observers: list[TransitionObserver] = []

    @property
    def backends(self) -> list[str]:
        return self.settings.sync_backends

    def priority(self, impact: str, urgency: str) -> str:
        if impact not in IMPACTS or urgency not in URGENCIES:
            raise InvalidRequest(
                field="impact/urgency",
                problem=f"expected impact in {IMPACTS} and urgency in "
                f"{URGENCIES}, got {impact!r}/{urgency!r}",
            )
        return self.settings.priority_matrix[impact][urgency]

    def due_dates(self, priority: str, start: datetime) -> tuple[datetime, datetime]:
        policy = self.settings.sla[priority]
        calendar = self.settings.calendar
        return (
            due(policy, calendar, start, policy.first_response_minutes),
            due(policy, calendar, start, policy.resolution_minutes),
        )

    async def create(
        self, new: NewTicket, *, actor: str | None = None, hook: WriteHook | None = None
    ) -> Ticket:
        """`hook` writes along with the ticket, in its transaction (an idempotency key)."""
        if new.category not in CATEGORIES:
            raise InvalidRequest(
                field="category", problem=f"expected one of {', '.join(CATEGORIES)}"
            )
        new = new.model_copy(
            update={
                "priority": self.priority(new.impact, new.urgency),
                "title": self.redactor.redact(new.title),
                "description": self.redactor.redact(new.description),
                "details": self.redactor.redact_data(new.details),
            }
        )
        now = utcnow()
        ticket = await self.store.create(
            new,
            actor=actor,
            due=self.due_dates(new.priority, now),
            backends=self.backends,
            now=now,
            hook=hook,
        )
        self.observer.ticket_created(ticket.category, ticket.priority)
        return ticket

    async def transition(
        self,
        reference: str,
        to: Status,
        *,
        actor: str,
        upstream: str | None = None,
        hook: WriteHook | None = None,
    ) -> Ticket:
        """Move a ticket to status `to`; refused with the allowed ones named if not allowed.

        `upstream` names the backend the change came from: it is not pushed back to it.
        """
        if to not in STATUSES:
            raise InvalidRequest(field="to", problem=f"expected one of {', '.join(STATUSES)}")
        ticket = await self.store.get(reference)
        check_transition(ticket.reference, ticket.status, to)  # type: ignore[arg-type]
        now = utcnow()
        fields: dict[str, Any] = {"status": to}
        if to in ("assigned", "in_progress", "resolved") and ticket.first_response_at is None:
            fields["first_response_at"] = now
        if to == "resolved":
            fields["resolved_at"] = now
        if to in ("closed", "rejected"):
            fields["closed_at"] = now
        if to == "reopened":
            fields["resolved_at"] = None
        if to in PAUSED and ticket.paused_at is None:
            fields["paused_at"] = now
        elif to not in PAUSED and ticket.paused_at is not None:
            fields["paused_at"] = None
            fields["resolution_due"] = self._shift(ticket, now)
        backends = [b for b in self.backends if b != upstream]
        changed = await self.store.change(
            ticket.reference,
            actor=actor,
            kind="status",
            fields=fields,
            backends=backends,
            push={"status": to},
            hook=hook,
        )
        for observer in self.observers:
            try:
                await observer(changed, actor)
            except Exception:  # the change is stored; what follows from it must not undo it
                log.exception("after %s went %s", changed.reference, to)
        return changed

    def _shift(self, ticket: Ticket, now: datetime) -> datetime | None:
        """Push the resolution target back by the time the ticket spent paused."""
        if ticket.resolution_due is None or ticket.paused_at is None:
            return ticket.resolution_due
        policy = self.settings.sla[ticket.priority]
        if policy.business_hours:
            paused = self.settings.calendar.between(ticket.paused_at, now)
            minutes = int(paused.total_seconds() // 60)
            return self.settings.calendar.add(ticket.resolution_due, minutes)
        return ticket.resolution_due + (now - ticket.paused_at)

    async def update(self, reference: str, *, actor: str, **fields: Any) -> Ticket:
        """Change category, impact, urgency (priority follows) or the assignment."""
        ticket = await self.store.get(reference)
        allowed = {"category", "impact", "urgency", "assignee_group", "assignee", "title"}
        if unknown := set(fields) - allowed:
            raise InvalidRequest(
                field=", ".join(sorted(unknown)),
                problem=f"cannot be changed; changeable: {sorted(allowed)}",
            )
        if "category" in fields and fields["category"] not in CATEGORIES:
            raise InvalidRequest(
                field="category", problem=f"expected one of {', '.join(CATEGORIES)}"
            )
        if "title" in fields:
            fields["title"] = self.redactor.redact(str(fields["title"]))
        impact = fields.get("impact", ticket.impact)
        urgency = fields.get("urgency", ticket.urgency)
        fields["priority"] = self.priority(impact, urgency)
        if fields["priority"] != ticket.priority:
            first, resolution = self.due_dates(fields["priority"], ticket.created_at)
            fields.update(first_response_due=first, resolution_due=resolution)
        return await self.store.change(ticket.reference, actor=actor, kind="update", fields=fields)

    async def comment(
        self,
        reference: str,
        *,
        author: str,
        body: str,
        public: bool = True,
        upstream: str | None = None,
        by_agent: bool = False,
        hook: WriteHook | None = None,
    ) -> Ticket:
        if not body.strip():
            raise InvalidRequest(field="body", problem="must not be empty")
        backends = [b for b in self.backends if b != upstream] if public else []
        return await self.store.comment(
            reference,
            author=author,
            body=self.redactor.redact(body),
            public=public,
            origin=f"upstream:{upstream}" if upstream else "guichet",
            backends=backends,
            first_response=by_agent,
            hook=hook,
        )

    async def decide_approval(
        self,
        reference: str,
        *,
        approved: bool,
        approver: str,
        approver_name: str | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> Ticket:
        """Record the approver's decision on a request waiting for approval, tell the ITSM
        tools who decided (a public comment, in the ticket's language) and move it on.

        Who may decide is bot.tickets.approvals' to check; this only records it."""
        ticket = await self.store.get(reference)
        if ticket.details.get("approval") != "waiting":
            raise Conflict(
                reference=ticket.reference, problem="is not waiting for approval", allowed="none"
            )
        name = approver_name or shown_name(None, approver)
        details = {
            **ticket.details,
            "approval": "approved" if approved else "rejected",
            "approver_decision_by": approver,
            "approver_decision_name": name,
            "approval_reason": reason,
            "approval_decided_at": (at or utcnow()).isoformat(),
        }
        await self.store.change(
            ticket.reference, actor=approver, kind="approval", fields={"details": details}
        )
        language = ticket.language
        said = (
            t("Approved by {name}.", language, name=name)
            if approved
            else t("Not approved by {name}. Reason: {reason}", language, name=name, reason=reason)
            if reason
            else t("Not approved by {name}.", language, name=name)
        )
        await self.comment(ticket.reference, author=approver, body=said)
        return await self.transition(
            ticket.reference, "assigned" if approved else "rejected", actor=approver
        )

    async def link_parent(self, reference: str, parent: str, *, actor: str) -> Ticket:
        return await self.store.change(
            reference, actor=actor, kind="update", fields={"parent_reference": parent}
        )

    # -- reads and escalations, as the store has them ------------------------------------------

    async def get(self, reference: str) -> Ticket:
        return await self.store.get(reference)

    async def find(
        self,
        *,
        requester: str | None = None,
        statuses: Sequence[str] = (),
        parent: str | None = None,
        kind: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[Ticket]:
        return await self.store.find(
            requester=requester,
            statuses=statuses,
            parent=parent,
            kind=kind,
            since=since,
            limit=limit,
        )

    async def open_for(self, requester: str) -> list[Ticket]:
        return await self.store.open_for(requester)

    async def escalate(
        self, *, conversation_id: str, requester: str, reason: str, summary: dict[str, Any]
    ) -> int:
        escalation = await self.store.escalate(
            conversation_id=conversation_id, requester=requester, reason=reason, summary=summary
        )
        self.observer.handoff(reason)
        return escalation

    async def agent_name(self, email: str) -> str:
        display_name = await self.directory(email) if self.directory is not None else None
        return shown_name(display_name, email)

    async def waiting_escalations(self) -> int:
        return await self.store.waiting_escalations()

    async def takeovers(self, since: datetime) -> list[tuple[datetime, datetime]]:
        return await self.store.takeovers(since)
