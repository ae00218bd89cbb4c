"""Approvals that reach the approver: who decides, telling them, the decision, reminders.

A catalog order that needs approval waits in `pending` with `details["approval"] == "waiting"`.
`request` finds who decides from the catalog's rule (the requester's manager, or the members
of a directory group; bot/kernel/approvals.py) and sends each of them an Approve / Reject
message on the channel they last used, in the language they speak there. When nobody can be
found or reached, the service desk decides, and the history says why.

`decide` is the one way a decision is taken (chat buttons, the HTTP API, the console): only an
approver, an administrator or, once the approval is the service desk's, an agent may decide;
a second decision is refused with who decided first. The decision moves the ticket on
(approved: `assigned`, the request proceeds; rejected: `rejected` with the reason), is
recorded under the approver's identity, goes upstream through the outbox (the status, and a
public comment naming the approver) and is told to the requester in their language.

`check_overdue` (run by the background loop) reminds the approvers once after
`remind_after_hours` and hands the approval to the service desk after `escalate_after_hours`.

`on_change` hears every step (requested, reminded, escalated, approved, rejected): the app
announces them on the console's live feed, so the service desk sees an escalation arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.channels.addresses import ChannelAddressStore
from bot.kernel.approvals import ApproverRule, NotTheApprover, approver_rule
from bot.kernel.directory import Directory, Person
from bot.kernel.domain import Button, Reply, payload, utcnow
from bot.kernel.errors import Conflict, GuichetError
from bot.kernel.formats import number
from bot.kernel.i18n import t
from bot.kernel.people import shown_name
from bot.kernel.ticket_models import Ticket
from bot.scale.locks import ConversationLocks
from bot.settings.approvals import ApprovalSettings
from bot.storage.conversations import ConversationStore
from bot.tickets.notify import TicketNotifier
from bot.tickets.service import TicketService
from knowledge_index.documents import CatalogItem

logger = logging.getLogger(__name__)

APPROVE, REJECT = "approve_request", "reject_request"
SERVICE_DESK = "service_desk"
# Why the service desk decides rather than a person of the directory (details["approval_why"]).
Why = Literal["no_manager", "no_group_members", "unreachable", "overdue", "directory_unavailable"]
Clock = Callable[[], datetime]
IsRole = Callable[[str], Awaitable[bool]]
Change = Literal["requested", "reminded", "escalated", "approved", "rejected"]
ApprovalChanged = Callable[[Ticket, Change], Awaitable[None]]


@dataclass(frozen=True)
class Decision:
    ticket: Ticket
    approved: bool
    by_name: str


class AlreadyDecided(Conflict):
    """The approval was decided before (HTTP 409): who decided it, and how."""

    def __init__(self, *, reference: str, decision: str, by_name: str) -> None:
        super().__init__(
            reference=reference, problem=f"already {decision} by {by_name}", allowed="none"
        )
        self.reference, self.decision, self.by_name = reference, decision, by_name


class ApprovalService:
    def __init__(
        self,
        *,
        tickets: TicketService,
        notifier: TicketNotifier,
        directory: Directory,
        addresses: ChannelAddressStore,
        conversations: ConversationStore,
        catalog: Callable[[str], CatalogItem | None],
        settings: ApprovalSettings,
        is_admin: IsRole,
        is_agent: IsRole,
        locks: ConversationLocks,
        default_language: str = "en",
        clock: Clock = utcnow,
    ) -> None:
        self.tickets = tickets
        self.notifier = notifier
        self.directory = directory
        self.addresses = addresses
        self.conversations = conversations
        self.catalog = catalog
        self.settings = settings
        self.is_admin = is_admin
        self.is_agent = is_agent
        self.locks = locks
        self.default_language = default_language
        self.clock = clock
        self.on_change: ApprovalChanged | None = None

    async def _changed(self, ticket: Ticket, change: Change) -> None:
        """Tell `on_change`; a listener that fails must not undo or fail the step."""
        if self.on_change is None:
            return
        try:
            await self.on_change(ticket, change)
        except Exception:
            logger.exception("approval %s of %s not announced", change, ticket.reference)

    # -- people --------------------------------------------------------------------------------

    async def _person(self, email: str) -> Person | None:
        try:
            return await self.directory.lookup(email)
        except GuichetError as error:  # the directory is down: the desk decides, nothing lost
            logger.warning("directory lookup of %s failed: %s", email, error)
            return None

    async def name_of(self, email: str) -> str:
        """A person's name as people read it: the directory's, else the account's."""
        person = await self._person(email)
        if person is not None and person.name:
            return person.name
        return await self.tickets.agent_name(email) if "@" in email else shown_name(None, email)

    async def _approvers(
        self, ticket: Ticket, rule: ApproverRule
    ) -> tuple[list[Person], Why | None]:
        if rule.kind == "manager":
            requester = await self._person(ticket.requester)
            if requester is None or not requester.manager:
                return [], "no_manager"
            manager = await self._person(requester.manager)
            return ([manager], None) if manager is not None else ([], "no_manager")
        assert rule.group is not None
        try:
            members = await self.directory.members(rule.group)
        except GuichetError as error:
            logger.warning("directory members of %s failed: %s", rule.group, error)
            return [], "directory_unavailable"
        members = [m for m in members if m.email.casefold() != ticket.requester.casefold()]
        return (members, None) if members else ([], "no_group_members")

    # -- asking ----------------------------------------------------------------------------------

    async def request(self, reference: str) -> Ticket:
        """Find who decides on a request waiting for approval and tell them."""
        ticket = await self.tickets.get(reference)
        rule = approver_rule(str(ticket.details.get("approver") or "manager"))
        people, why = await self._approvers(ticket, rule) if rule.kind != "none" else ([], None)
        reached = [p for p in people if await self.addresses.last_used(p.email) is not None]
        if people and not reached:
            why = "unreachable"
        details: dict[str, Any] = {
            **ticket.details,
            "approvers": [p.email for p in people],
            "approver_name": people[0].name if rule.kind == "manager" and people else None,
            "approval_route": rule.kind if reached else SERVICE_DESK,
            "approval_why": why,
            "approval_requested_at": self.clock().isoformat(),
        }
        ticket = await self.tickets.store.change(
            ticket.reference,
            actor="guichet:approval",
            kind="approval_requested",
            fields={"details": details},
        )
        for person in reached:
            await self._ask(ticket, person, rule, reminder=False)
        await self._changed(ticket, "requested")
        return ticket

    async def _ask(
        self, ticket: Ticket, person: Person, rule: ApproverRule, *, reminder: bool
    ) -> None:
        address = await self.addresses.last_used(person.email)
        if address is None:
            return
        # the language they speak with Guichet there, else the directory's
        latest = await self.conversations.latest_for_user(
            channel=address.channel, user_id=person.email
        )
        language = latest.language if latest else person.language or self.default_language
        replies = await self.message(ticket, rule, language, reminder=reminder)
        await self.notifier.queue(person.email, address.channel, replies)

    async def message(
        self, ticket: Ticket, rule: ApproverRule, language: str, *, reminder: bool = False
    ) -> list[Reply]:
        """The Approve / Reject message: who asks, what (item, fields, cost), why you."""
        requester = await self.name_of(ticket.requester)
        item = self.catalog(str(ticket.details.get("catalog_item") or ""))
        what = item.title.get(language) if item else ticket.title  # type: ignore[arg-type]
        said = {"requester": requester, "reference": ticket.reference, "item": what}
        lines = [
            t(
                "Reminder: {requester} is still waiting for your approval of {reference}: {item}.",
                language,
                **said,
            )
            if reminder
            else t("{requester} asks for your approval of {reference}: {item}.", language, **said)
        ]
        lines += [
            t("- {label}: {value}", language, label=label, value=value)
            for label, value in self.fields(ticket, item, language)
        ]
        cost = float(ticket.details.get("cost_eur") or 0)
        if cost:
            lines.append(t("Cost: {amount} EUR", language, amount=number(cost, language)))
        lines.append(
            t("You are asked as {requester}'s manager.", language, requester=requester)
            if rule.kind == "manager"
            else t("You are asked as a member of {group}.", language, group=rule.group or "")
        )
        return [
            Reply(
                text="\n".join(lines),
                buttons=[
                    Button(
                        title=t("Approve", language),
                        payload=payload(APPROVE, ticket=ticket.reference),
                    ),
                    Button(
                        title=t("Reject", language),
                        payload=payload(REJECT, ticket=ticket.reference),
                    ),
                ],
            )
        ]

    @staticmethod
    def fields(ticket: Ticket, item: CatalogItem | None, language: str) -> list[tuple[str, str]]:
        """The order's fields with the catalog's labels and choices in `language`."""
        values = ticket.details.get("fields") or {}
        if item is None:
            return [(str(k), str(v)) for k, v in values.items() if v]
        shown = []
        for field in item.fields:
            value = values.get(field.name)
            if not value:
                continue
            option = next((o for o in field.options if o.value == value), None)
            label = (option.fr if language == "fr" else option.en) if option else str(value)
            shown.append((field.label.get(language), label))  # type: ignore[arg-type]
        return shown

    # -- deciding -----------------------------------------------------------------------------

    async def may_decide(self, ticket: Ticket, email: str) -> bool:
        """An approver, an administrator, or an agent once the service desk decides."""
        approvers = {str(a).casefold() for a in ticket.details.get("approvers") or []}
        if email.casefold() in approvers or await self.is_admin(email):
            return True
        # a request from before approvals were routed is the service desk's to decide
        return desk_decides(ticket) and await self.is_agent(email)

    async def decide(
        self, reference: str, *, by: str, approved: bool, reason: str | None = None
    ) -> Decision:
        """Record `by`'s decision; `NotTheApprover` or `AlreadyDecided` change nothing."""
        async with self.locks.hold(f"approval:{reference}"):
            ticket = await self.check(reference, by=by)
            name = await self.name_of(by)
            reason = (reason or "").strip()[:1000] or None
            ticket = await self.tickets.decide_approval(
                ticket.reference,
                approved=approved,
                approver=by.strip().lower(),
                approver_name=name,
                reason=reason,
                at=self.clock(),
            )
        await self._tell_requester(ticket, approved, name, reason)
        await self._changed(ticket, "approved" if approved else "rejected")
        return Decision(ticket=ticket, approved=approved, by_name=name)

    async def check(self, reference: str, *, by: str) -> Ticket:
        """The request, if it waits for a decision `by` may take; raises why not otherwise.
        Someone who may not decide learns nothing of the decision."""
        ticket = await self.tickets.get(reference)
        if not await self.may_decide(ticket, by):
            raise NotTheApprover(who=by, reference=ticket.reference)
        state = ticket.details.get("approval") if ticket.kind == "request" else None
        if state in ("approved", "rejected"):
            decided_by = str(ticket.details.get("approver_decision_by") or "")
            raise AlreadyDecided(
                reference=ticket.reference,
                decision=str(state),
                by_name=str(
                    ticket.details.get("approver_decision_name") or await self.name_of(decided_by)
                ),
            )
        if state != "waiting":
            raise Conflict(
                reference=ticket.reference, problem="is not waiting for approval", allowed="none"
            )
        return ticket

    async def _tell_requester(
        self, ticket: Ticket, approved: bool, name: str, reason: str | None
    ) -> None:
        language = ticket.language
        item = self.catalog(str(ticket.details.get("catalog_item") or ""))
        what = item.title.get(language) if item else ticket.title  # type: ignore[arg-type]
        if approved:
            text = t(
                "Your request {reference} ({item}) was approved by {name}; the service desk "
                "takes it from here.",
                language,
                reference=ticket.reference,
                item=what,
                name=name,
            )
        elif reason:
            text = t(
                "Your request {reference} ({item}) was not approved by {name}. Reason: {reason}",
                language,
                reference=ticket.reference,
                item=what,
                name=name,
                reason=reason,
            )
        else:
            text = t(
                "Your request {reference} ({item}) was not approved by {name}.",
                language,
                reference=ticket.reference,
                item=what,
                name=name,
            )
        replies = self.notifier.replies(ticket)
        await self.notifier.notify(ticket, [replies[0].model_copy(update={"text": text})])

    # -- reminders and escalation -----------------------------------------------------------------

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Remind and escalate until `stop` is set; a failing round is logged, never fatal."""
        while not stop.is_set():
            try:
                await self.check_overdue()
            except Exception:
                logger.exception("approval reminders failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def check_overdue(self) -> tuple[int, int]:
        """Remind and escalate what waits too long; returns (reminded, escalated). One process
        at a time (the lock is shared with the others), so a reminder is sent once."""
        async with self.locks.hold("approvals:overdue"):
            return await self._check_overdue()

    async def _check_overdue(self) -> tuple[int, int]:
        now = self.clock()
        remind = timedelta(hours=self.settings.remind_after_hours)
        escalate = timedelta(hours=self.settings.escalate_after_hours)
        reminded = escalated = 0
        for ticket in await self.tickets.find(kind="request", statuses=["pending"], limit=1000):
            details = ticket.details
            if details.get("approval") != "waiting":
                continue
            asked = asked_at(ticket)
            if details.get("approval_route") != SERVICE_DESK and now - asked >= escalate:
                await self._escalate(ticket)
                escalated += 1
            elif (
                details.get("approval_route") != SERVICE_DESK
                and now - asked >= remind
                and not details.get("approval_reminded_at")
            ):
                await self._remind(ticket)
                reminded += 1
        return reminded, escalated

    async def _remind(self, ticket: Ticket) -> None:
        rule = approver_rule(str(ticket.details.get("approver") or "manager"))
        ticket = await self.tickets.store.change(
            ticket.reference,
            actor="guichet:approval",
            kind="approval_reminded",
            fields={
                "details": {**ticket.details, "approval_reminded_at": self.clock().isoformat()}
            },
        )
        for email in ticket.details.get("approvers") or []:
            person = await self._person(str(email))
            if person is not None:
                await self._ask(ticket, person, rule, reminder=True)
        await self._changed(ticket, "reminded")

    async def _escalate(self, ticket: Ticket) -> None:
        details = {
            **ticket.details,
            "approval_route": SERVICE_DESK,
            "approval_why": "overdue",
            "approval_escalated_at": self.clock().isoformat(),
        }
        ticket = await self.tickets.store.change(
            ticket.reference,
            actor="guichet:approval",
            kind="approval_escalated",
            fields={"details": details},
        )
        await self._changed(ticket, "escalated")

    async def waiting(self) -> list[Ticket]:
        """Requests waiting for approval: the service desk's first, then oldest first (the
        console's list)."""
        found = await self.tickets.find(kind="request", statuses=["pending"], limit=1000)
        waiting = [tk for tk in found if tk.details.get("approval") == "waiting"]
        return sorted(waiting, key=lambda tk: (not desk_decides(tk), asked_at(tk)))

    async def for_the_desk(self) -> list[Ticket]:
        """Requests whose approval the service desk decides, oldest first."""
        return [ticket for ticket in await self.waiting() if desk_decides(ticket)]


def desk_decides(ticket: Ticket) -> bool:
    """Whether the service desk decides this approval (escalated, or nobody else to ask)."""
    return (ticket.details.get("approval_route") or SERVICE_DESK) == SERVICE_DESK


def asked_at(ticket: Ticket) -> datetime:
    """When the approval was asked for (the ticket's creation for older requests)."""
    return moment(ticket.details.get("approval_requested_at")) or ticket.created_at


def moment(value: object) -> datetime | None:
    """A time kept in a ticket's details (ISO 8601), or None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
