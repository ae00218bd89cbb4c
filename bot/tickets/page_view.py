"""What the ticket pages show, in the reader's language: the public history (status changes,
public comments; never internal notes nor the ticket's details, where the bot's transcript is),
times in the reader's time zone and language, and the sync state in plain words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.auth import Principal
from bot.kernel.domain import utcnow
from bot.kernel.formats import when
from bot.kernel.i18n import N_, t
from bot.kernel.language import Language
from bot.kernel.messages import category_name, status_name, waiting_for
from bot.kernel.ticket_models import Comment, Event, SyncState, Ticket
from bot.kernel.tickets import OPEN_STATUSES
from bot.services import Services

# -- what a page shows ----------------------------------------------------------------------


@dataclass
class Row:
    reference: str
    title: str
    status: str
    priority: str
    updated: str


@dataclass
class Entry:
    at: datetime
    when: str
    who: str
    text: str
    body: str | None = None
    css: str = "event"


@dataclass
class TicketView:
    reference: str
    title: str
    description: str
    fields: list[tuple[str, str]]  # a request's catalog fields: (label, value), in the language
    requester: str
    status: str
    status_name: str
    waiting_for: str | None  # what it waits for: an approver, the requester's reply...
    priority: str
    category: str
    group: str
    opened: str
    first_response_due: str
    first_response_at: str
    resolution_due: str
    late: dict[str, bool]
    sync: list[str]
    mine: bool
    history: list[Entry] = field(default_factory=list)

    @property
    def resolved(self) -> bool:
        return self.status == "resolved"

    @property
    def may_comment(self) -> bool:
        return self.mine and self.status not in ("closed", "rejected")


def _who(actor: str, viewer: Principal, language: Language, names: dict[str, str]) -> str:
    """Who did it: "you", an agent's name (their address only to agents), or the desk."""
    if actor.casefold() == viewer.email.casefold():
        return t("you", language)
    if "@" not in actor:
        return t("the service desk", language)
    return actor if viewer.is_agent else names.get(actor, t("the service desk", language))


def _change(data: dict[str, Any], name: str) -> tuple[Any, Any] | None:
    change = data.get(name)
    return (change.get("from"), change.get("to")) if isinstance(change, dict) else None


def _event_lines(event: Event, language: Language) -> list[str]:
    """What an event says publicly; comments are told from the comments (public ones only),
    synchronisation in the sync state, and nothing of the ticket's details (the transcript)."""
    if event.kind == "created":
        return [t("Ticket created", language)]
    lines: list[str] = []
    if event.kind == "status" and (status := _change(event.data, "status")):
        old, new = (status_name(str(s), language) for s in status)
        lines.append(t("Status changed from {old} to {new}", language, old=old, new=new))
    if event.kind == "update":
        if priority := _change(event.data, "priority"):
            lines.append(
                t(
                    "Priority changed from {old} to {new}",
                    language,
                    old=priority[0],
                    new=priority[1],
                )
            )
        if category := _change(event.data, "category"):
            lines.append(
                t("Category set to {new}", language, new=category_name(category[1], language))
            )
        if (group := _change(event.data, "assignee_group")) and group[1]:
            lines.append(t("Assigned to {new}", language, new=group[1]))
    if event.kind == "approval" and (details := _change(event.data, "details")):
        decision = details[1].get("approval") if isinstance(details[1], dict) else None
        if decision in ("approved", "rejected"):
            approved = decision == "approved"
            lines.append(
                t("Request approved", language) if approved else t("Request not approved", language)
            )
    return lines


def _history(
    events: list[Event],
    comments: list[Comment],
    viewer: Principal,
    language: Language,
    zone: str,
    redact: Callable[[str], str],
    names: dict[str, str],
) -> list[Entry]:
    entries = [
        Entry(
            at=e.at,
            when=when(e.at, language, zone),
            who=_who(e.actor, viewer, language, names),
            text=line,
        )
        for e in events
        for line in _event_lines(e, language)
    ]
    entries += [
        Entry(
            at=c.at,
            when=when(c.at, language, zone),
            who=_who(c.author, viewer, language, names),
            text=t("Comment", language),
            body=redact(c.body),
            css="comment",
        )
        for c in comments
        if c.public
    ]
    return sorted(entries, key=lambda entry: entry.at)


def _request_fields(
    services: Services, ticket: Ticket, language: Language
) -> list[tuple[str, str]]:
    """What was ordered, with the catalog's field and choice labels in `language`."""
    item_id = ticket.details.get("catalog_item")
    item = services.knowledge.catalog_item(str(item_id)) if item_id else None
    if item is None:
        return []
    values = ticket.details.get("fields") or {}
    shown = [(t("Item", language), item.title.get(language))]
    for asked in item.fields:
        value = values.get(asked.name)
        if not value:
            continue
        option = next((o for o in asked.options if o.value == value), None)
        label = (option.fr if language == "fr" else option.en) if option else str(value)
        shown.append((asked.label.get(language), label))
    return shown


async def _handled_by(services: Services, ticket: Ticket, language: Language) -> str:
    """The agent who has the ticket (by name, never their address), and their group; or that
    nobody has it yet."""
    agent = await services.tickets.agent_name(ticket.assignee) if ticket.assignee else None
    parts = [part for part in (agent, ticket.assignee_group) if part]
    return " · ".join(parts) or t("not assigned yet", language)


# A ticket's copy in an ITSM backend, by its state.
SYNC_STATES: dict[str, str] = {
    "synced": N_("Copied to {backend}{upstream}; up to date."),
    "pending": N_("Waiting to be copied to {backend}; Guichet keeps trying on its own."),
    "failed": N_(
        "Could not be copied to {backend}; your ticket is safe in Guichet and the "
        "service desk sees it."
    ),
}


def _sync_line(state: SyncState, language: Language, *, agent: bool) -> str:
    upstream = t(" as {id}", language, id=state.upstream_id) if state.upstream_id else ""
    line = t(SYNC_STATES[state.state], language, backend=state.backend, upstream=upstream)
    if agent and state.last_error:
        line += f" ({state.last_error})"
    return line


async def ticket_view(
    services: Services, ticket: Ticket, viewer: Principal, language: Language, zone: str
) -> TicketView:
    """The ticket as `viewer` sees it, times in `zone` (an IANA name)."""
    store, redactor = services.tickets.store, services.tickets.redactor
    sync = [
        _sync_line(state, language, agent=viewer.is_agent)
        for state in await store.outbox.sync_states(ticket.id)
    ] or [t("This ticket is handled in Guichet only.", language)]
    events, comments = await store.history(ticket.reference), await store.comments(ticket.reference)
    people = {e.actor for e in events} | {c.author for c in comments}
    names = {
        person: await services.tickets.agent_name(person) for person in people if "@" in person
    }
    return TicketView(
        reference=ticket.reference,
        title=ticket.title,
        description=redactor.redact(ticket.description),
        fields=_request_fields(services, ticket, language),
        requester=ticket.requester,
        status=ticket.status,
        status_name=status_name(ticket.status, language),
        waiting_for=waiting_for(ticket, language),
        priority=ticket.priority,
        category=category_name(ticket.category, language),
        group=await _handled_by(services, ticket, language),
        opened=when(ticket.created_at, language, zone),
        first_response_due=when(ticket.first_response_due, language, zone),
        first_response_at=when(ticket.first_response_at, language, zone),
        resolution_due=when(ticket.resolution_due, language, zone),
        late=ticket.sla_breaches(utcnow()) if ticket.status not in ("closed", "rejected") else {},
        sync=sync,
        mine=ticket.requester.casefold() == viewer.email.casefold(),
        history=_history(events, comments, viewer, language, zone, redactor.redact, names),
    )


def ticket_rows(tickets: list[Ticket], language: Language, zone: str) -> dict[str, list[Row]]:
    """The requester's tickets, open ones first, each group newest first."""
    return {
        group: [
            Row(
                reference=tk.reference,
                title=tk.title,
                status=status_name(tk.status, language),
                priority=tk.priority,
                updated=when(tk.updated_at, language, zone),
            )
            for tk in tickets
            if (tk.status in OPEN_STATUSES) == (group == "open")
        ]
        for group in ("open", "done")
    }
