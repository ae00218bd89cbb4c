"""The escalation desk: the queue agents work from, and what they do with an escalation.

Statuses: `waiting` (the user asked for a human, or the bot gave up), `taken` (an agent has the
conversation; the bot is silent), `resolved`, `returned` (handed back to the bot).

An escalation's ticket is its own: taking it opens an incident (synced upstream through the
outbox like any other), unless the conversation already has an open incident, which is then about
the same problem. Never one of the user's service requests (an order awaiting approval is not
resolved by resolving a chat). The ticket is assigned to the agent who takes it; status,
category, impact and urgency change on that ticket, and only on it, through the ticket service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from sqlalchemy import select, update

from bot.auth.roles import Principal
from bot.console.live import ESCALATIONS, conversation_topic, publish, turn_event
from bot.kernel.assets import Asset, AssetError
from bot.kernel.domain import Conversation, Link, Reply, Turn, bot_turns, utcnow
from bot.kernel.errors import Conflict, Forbidden, NotFound
from bot.kernel.i18n import N_, t
from bot.kernel.messages import TURN_ROLES, category_name
from bot.kernel.people import shown_name
from bot.kernel.ticket_models import Event, NewTicket, SyncState, Ticket
from bot.kernel.tickets import CATEGORY_BY_INTENT, OPEN_STATUSES, TRANSITIONS, Status
from bot.kernel.transcript import pressed, problem_statement
from bot.storage.conversations import as_utc
from bot.storage.tables import ConversationRow, EscalationRow, NotificationRow, TicketRow

if TYPE_CHECKING:
    from bot.services import Services

EscalationStatus = Literal["waiting", "taken", "resolved", "returned"]
ESCALATION_STATUSES: tuple[EscalationStatus, ...] = ("waiting", "taken", "resolved", "returned")
OPEN: tuple[EscalationStatus, ...] = ("waiting", "taken")
ESCALATION_STATUS_NAMES: dict[str, str] = {
    "waiting": N_("waiting"),
    "taken": N_("taken"),
    "resolved": N_("resolved"),
    "returned": N_("back with the bot"),
}


class Guess(BaseModel):
    """What the bot made of the conversation, before an agent looked at it."""

    category: str
    impact: str
    urgency: str
    priority: str


class QueueItem(BaseModel):
    id: int
    conversation_id: str
    requester: str
    reason: str
    status: EscalationStatus
    created_at: datetime
    assignee: str | None
    taken_at: datetime | None
    channel: str
    language: str
    category: str
    priority: str
    due_at: datetime  # first response due: the ticket's, or the guessed priority's SLA
    ticket_reference: str | None
    last_user_message: str | None


class TicketView(BaseModel):
    ticket: Ticket
    sync: list[SyncState]
    allowed_transitions: list[str]
    history: list[Event]


class EscalationDetail(QueueItem):
    guess: Guess
    last_problem: str | None  # what the user's problem is, in their words (or the ticket's title)
    transcript: list[Turn]
    pressed: list[str | None]  # per turn: the title of the button the user pressed, if any
    articles: list[Link]
    ticket: TicketView | None
    # The requester's devices and licences from the asset inventory; None: it did not answer.
    devices: list[Asset] | None = []


class EscalationDesk:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._sessions = services.database.sessions

    # -- reading ------------------------------------------------------------------------------

    def guess(self, row: EscalationRow) -> Guess:
        intent = row.summary.get("last_intent") or ""
        category = CATEGORY_BY_INTENT.get(intent, "other")
        impact = "organisation" if intent == "report_outage" else "person"
        urgency = "high" if row.reason == "frustration" else "low"
        priority = self.services.tickets.priority(impact, urgency)
        return Guess(category=category, impact=impact, urgency=urgency, priority=priority)

    async def _rows(
        self, *, statuses: list[str] | None = None, escalation_id: int | None = None
    ) -> list[tuple[EscalationRow, ConversationRow, TicketRow | None]]:
        query = select(EscalationRow, ConversationRow).join(
            ConversationRow, ConversationRow.id == EscalationRow.conversation_id
        )
        if statuses:
            query = query.where(EscalationRow.status.in_(statuses))
        if escalation_id is not None:
            query = query.where(EscalationRow.id == escalation_id)
        async with self._sessions() as session:
            found = (await session.execute(query)).all()
            conversation_ids = [row.conversation_id for row, _ in found]
            tickets = (
                (
                    await session.scalars(
                        select(TicketRow)
                        .where(TicketRow.conversation_id.in_(conversation_ids))
                        .order_by(TicketRow.id)
                    )
                ).all()
                if conversation_ids
                else []
            )
        by_reference = {ticket.reference: ticket for ticket in tickets}
        latest = {  # the conversation's latest open incident: the last one wins
            ticket.conversation_id: ticket
            for ticket in tickets
            if ticket.kind == "incident" and ticket.status in OPEN_STATUSES
        }
        return [
            (
                row,
                conversation,
                by_reference.get(row.ticket_reference)
                if row.ticket_reference
                else latest.get(row.conversation_id)
                if row.status in OPEN
                else None,
            )
            for row, conversation in found
        ]

    def _item(
        self, row: EscalationRow, conversation: ConversationRow, ticket: TicketRow | None
    ) -> QueueItem:
        guess = self.guess(row)
        created = as_utc(row.created_at)
        if ticket is not None and ticket.first_response_due is not None:
            due_at = as_utc(ticket.first_response_due)
        else:
            due_at = self.services.tickets.due_dates(guess.priority, created)[0]
        user_turns = [  # what the user wrote, not the buttons they pressed
            turn
            for turn in row.summary.get("transcript", [])
            if turn.get("role") == "user" and not str(turn.get("text", "")).startswith("/")
        ]
        return QueueItem(
            id=row.id,
            conversation_id=row.conversation_id,
            requester=row.requester,
            reason=row.reason,
            status=row.status,
            created_at=created,
            assignee=row.assignee,
            taken_at=as_utc(row.taken_at) if row.taken_at else None,
            channel=conversation.channel,
            language=conversation.language,
            category=ticket.category if ticket else guess.category,
            priority=ticket.priority if ticket else guess.priority,
            due_at=due_at,
            ticket_reference=ticket.reference if ticket else None,
            last_user_message=user_turns[-1]["text"] if user_turns else None,
        )

    async def queue(
        self,
        *,
        statuses: list[str] | None = None,
        category: str | None = None,
        channel: str | None = None,
        language: str | None = None,
    ) -> list[QueueItem]:
        """Open escalations by default, most urgent first: priority, then first-response due."""
        items = [self._item(*found) for found in await self._rows(statuses=statuses or list(OPEN))]
        items = [
            item
            for item in items
            if (category is None or item.category == category)
            and (channel is None or item.channel == channel)
            and (language is None or item.language == language)
        ]
        return sorted(items, key=lambda item: (item.priority, item.due_at, item.id))

    async def channels(self) -> list[str]:
        """The channels escalations came from, for the queue's filter."""
        async with self._sessions() as session:
            found = await session.scalars(
                select(ConversationRow.channel)
                .join(EscalationRow, EscalationRow.conversation_id == ConversationRow.id)
                .distinct()
            )
            return sorted(found.all())

    async def _one(
        self, escalation_id: int
    ) -> tuple[EscalationRow, ConversationRow, TicketRow | None]:
        found = await self._rows(escalation_id=escalation_id)
        if not found:
            raise NotFound(kind="escalation", key=escalation_id)
        return found[0]

    async def detail(self, escalation_id: int) -> EscalationDetail:
        row, conversation_row, ticket_row = await self._one(escalation_id)
        conversation = await self.services.conversations.get(row.conversation_id)
        ticket = None
        if ticket_row is not None and ticket_row.reference is not None:
            store = self.services.tickets.store
            current = await store.get(ticket_row.reference)
            ticket = TicketView(
                ticket=current,
                sync=await store.outbox.sync_states(current.id),
                allowed_transitions=list(TRANSITIONS[current.status]),  # type: ignore[index]
                history=await store.history(current.reference, internal=True),
            )
        return EscalationDetail(
            **self._item(row, conversation_row, ticket_row).model_dump(),
            guess=self.guess(row),
            last_problem=self._problem(row, conversation.transcript)
            or (ticket.ticket.title if ticket else None),
            transcript=conversation.transcript,
            pressed=pressed(
                conversation.transcript, conversation.language, self._naming(conversation.language)
            ),
            articles=self._articles(row.summary.get("articles_offered") or []),
            ticket=ticket,
            devices=await self._devices(conversation.user_id),
        )

    async def _devices(self, requester: str) -> list[Asset] | None:
        inventory = self.services.assets
        if inventory is None:
            return []
        try:
            return await inventory.assets_of(requester)
        except AssetError:
            return None

    @staticmethod
    def _problem(row: EscalationRow, transcript: list[Turn]) -> str | None:
        """The problem the bot noted last, else the first thing the user wrote about one."""
        noted = row.summary.get("last_problem")
        return str(noted) if noted else problem_statement(transcript)

    def _naming(self, language: str) -> Callable[[str, str], str]:
        """A payload's values as the user saw them: a catalog item by its name in `language`."""

        def name(entity: str, value: str) -> str:
            item = self.services.knowledge.catalog_item(value) if entity == "catalog_item" else None
            return item.title.get(language) if item is not None else value  # type: ignore[arg-type]

        return name

    def _articles(self, entry_ids: list[str]) -> list[Link]:
        index = self.services.knowledge.index
        links = []
        for entry_id in entry_ids:
            entry = index.by_id(entry_id) if index is not None else None
            links.append(
                Link(title=entry.title, url=entry.url) if entry else Link(title=entry_id, url="")
            )
        return links

    # -- acting -------------------------------------------------------------------------------

    async def take(self, escalation_id: int, agent: Principal) -> EscalationDetail:
        """The agent has the conversation from now on; its ticket is opened if it has none."""
        row, conversation_row, ticket_row = await self._one(escalation_id)
        if row.status == "taken" and row.assignee == agent.email:
            return await self.detail(escalation_id)
        async with self._sessions.begin() as session:  # one agent wins, across processes
            taken = await session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == escalation_id, EscalationRow.status == "waiting")
                .values(status="taken", assignee=agent.email, taken_at=utcnow())
            )
        if not taken.rowcount:  # type: ignore[attr-defined]
            raise Conflict(
                reference=f"escalation {escalation_id}",
                problem=f"is {row.status}" + (f" by {row.assignee}" if row.assignee else ""),
                allowed="take a waiting escalation",
            )
        reference = await self._ticket_for(row, conversation_row, ticket_row, agent)

        def join(conversation: Conversation) -> list[Turn]:
            conversation.state.agent = agent.email
            language = conversation.language
            text = t(
                "{agent}, a service desk agent, has joined the conversation.",
                language,
                agent=shown_name(agent.display_name, agent.email),
            )
            return bot_turns([Reply(text=text)], language)

        await self._update_conversation(row.conversation_id, join, push=True)
        await self.services.auth.audit(
            agent, "escalation.take", target_kind="escalation", target=str(escalation_id),
            data={"ticket": reference, "conversation": row.conversation_id},
        )  # fmt: skip
        await self._changed(escalation_id, "taken")
        return await self.detail(escalation_id)

    async def _ticket_for(
        self,
        row: EscalationRow,
        conversation: ConversationRow,
        ticket: TicketRow | None,
        agent: Principal,
    ) -> str:
        tickets = self.services.tickets
        if ticket is None or ticket.reference is None:
            guess = self.guess(row)
            turns = (await self.services.conversations.get(row.conversation_id)).transcript
            problem = self._problem(row, turns) or t(  # in the requester's language
                "Conversation handed to an agent ({category})",
                conversation.language,
                category=category_name(guess.category, conversation.language),
            )
            chosen = pressed(turns, conversation.language, self._naming(conversation.language))
            language = conversation.language  # the ticket is written in the requester's
            lines = [
                t(
                    "{label}: {value}",
                    language,
                    label=t(TURN_ROLES[turn.role], language)
                    if turn.role in TURN_ROLES
                    else turn.role,
                    value=t("Chose: {title}", language, title=title) if title else turn.text,
                )
                for turn, title in list(zip(turns, chosen, strict=True))[-20:]
            ]
            created = await tickets.create(
                NewTicket(
                    kind="incident",
                    requester=row.requester,
                    channel=conversation.channel,
                    conversation_id=row.conversation_id,
                    title=problem[:200],
                    description="\n".join(lines)[:20_000] or problem,
                    category=guess.category,
                    impact=guess.impact,
                    urgency=guess.urgency,
                    priority=guess.priority,
                    language=conversation.language,
                    details={"escalation": row.id, "reason": row.reason},
                ),
                actor=agent.email,
            )
            reference = created.reference
        else:
            reference = ticket.reference
        current = await tickets.store.get(reference)
        if current.assignee != agent.email:
            await tickets.update(reference, actor=agent.email, assignee=agent.email)
        if current.status in ("new", "reopened"):
            await tickets.transition(reference, "assigned", actor=agent.email)
        async with self._sessions.begin() as session:
            await session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == row.id)
                .values(ticket_reference=reference)
            )
        return reference

    async def _held(
        self, escalation_id: int, agent: Principal
    ) -> tuple[EscalationRow, ConversationRow, TicketRow | None]:
        found = await self._one(escalation_id)
        row = found[0]
        if row.status != "taken":
            raise Conflict(
                reference=f"escalation {escalation_id}",
                problem=f"is {row.status}",
                allowed="take it first",
            )
        if row.assignee != agent.email and not agent.has_role("admin"):
            raise Forbidden(
                who=agent.email,
                action=f"act on escalation {escalation_id}",
                reason=f"{row.assignee} has it",
            )
        return found

    async def write(self, escalation_id: int, agent: Principal, text: str) -> Turn:
        """The agent's message: into the transcript, and pushed to the user's channel."""
        row, _, ticket = await self._held(escalation_id, agent)
        # Neither the transcript nor the push keeps a secret (a temporary password for the
        # user, say): the notification is stored, and so pushed, redacted (bot/storage/redacted).
        name = shown_name(agent.display_name, agent.email)
        said = Turn(role="agent", text=self.services.conversations.redact(text), sender=name)

        def append(conversation: Conversation) -> list[Turn]:
            said.language = conversation.language
            return [said]

        await self._update_conversation(
            row.conversation_id, append, push=True, sender=name, pushed=[text]
        )
        if ticket is not None and ticket.reference is not None:
            await self.services.tickets.comment(
                ticket.reference, author=agent.email, body=text, public=False, by_agent=True
            )
        await self.services.auth.audit(
            agent, "escalation.message", target_kind="escalation", target=str(escalation_id),
            data={"characters": len(text)},
        )  # fmt: skip
        return said

    async def change(
        self,
        escalation_id: int,
        agent: Principal,
        *,
        status: Status | None = None,
        category: str | None = None,
        impact: str | None = None,
        urgency: str | None = None,
    ) -> EscalationDetail:
        """Change the escalation's ticket (priority follows impact and urgency); synced
        upstream through the outbox."""
        _, _, ticket = await self._held(escalation_id, agent)
        if ticket is None or ticket.reference is None:
            raise Conflict(
                reference=f"escalation {escalation_id}", problem="has no ticket", allowed="take"
            )
        fields: dict[str, Any] = {
            k: v
            for k, v in {"category": category, "impact": impact, "urgency": urgency}.items()
            if v is not None
        }
        if fields:
            await self.services.tickets.update(ticket.reference, actor=agent.email, **fields)
        if status is not None:
            await self.services.tickets.transition(ticket.reference, status, actor=agent.email)
        await self.services.auth.audit(
            agent, "escalation.change", target_kind="escalation", target=str(escalation_id),
            data={**fields, "status": status, "ticket": ticket.reference},
        )  # fmt: skip
        await self._changed(escalation_id, "taken")
        return await self.detail(escalation_id)

    async def resolve(self, escalation_id: int, agent: Principal) -> EscalationDetail:
        """Resolve the ticket (the user is asked whether it works now) and free the conversation."""
        row, _, ticket = await self._held(escalation_id, agent)
        if ticket is not None and ticket.reference is not None:
            resolved = await self.services.tickets.transition(
                ticket.reference, "resolved", actor=agent.email
            )
            await self._release(row, "resolved")
            notifier = self.services.notifier
            await notifier.notify(resolved, notifier.replies(resolved, status="resolved"))
        else:
            await self._release(row, "resolved")
        await self.services.auth.audit(
            agent, "escalation.resolve", target_kind="escalation", target=str(escalation_id)
        )
        await self._changed(escalation_id, "resolved")
        return await self.detail(escalation_id)

    async def hand_back(self, escalation_id: int, agent: Principal) -> EscalationDetail:
        """The bot answers the conversation again; the ticket stays as it is."""
        row, _, _ = await self._held(escalation_id, agent)
        await self._release(row, "returned")

        def leave(conversation: Conversation) -> list[Turn]:
            return bot_turns(
                [
                    Reply(
                        text=t(
                            "The agent has left the conversation; Guichet, the assistant, is with "
                            "you again.",
                            conversation.language,
                        )
                    )
                ],
                conversation.language,
            )

        await self._update_conversation(row.conversation_id, leave, push=True)
        await self.services.auth.audit(
            agent, "escalation.hand_back", target_kind="escalation", target=str(escalation_id)
        )
        await self._changed(escalation_id, "returned")
        return await self.detail(escalation_id)

    async def _release(self, row: EscalationRow, status: EscalationStatus) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(EscalationRow)
                .where(EscalationRow.id == row.id)
                .values(status=status, closed_at=utcnow())
            )

        def free(conversation: Conversation) -> list[Turn]:
            conversation.state.agent = None
            conversation.state.handed_off = False
            return []

        await self._update_conversation(row.conversation_id, free, push=False)

    # -- plumbing -----------------------------------------------------------------------------

    async def _update_conversation(
        self,
        conversation_id: str,
        change: Callable[[Conversation], list[Turn]],
        *,
        push: bool,
        sender: str | None = None,
        pushed: list[str] | None = None,
    ) -> None:
        """Apply `change` (which returns the new turns) under the conversation's lock, save,
        announce the turns live, and queue them (or the `pushed` texts) for the user's channel."""
        services = self.services
        async with services.engine.locks.hold(conversation_id):
            conversation = await services.conversations.get(conversation_id)
            turns: list[Turn] = change(conversation)
            conversation.transcript.extend(turns)
            await services.conversations.save(conversation, turns)
        for turn in turns:
            await publish(
                services.events,
                conversation_topic(conversation_id),
                turn_event(conversation_id, turn),
            )
        if push and turns:
            texts = pushed if pushed is not None else [turn.text for turn in turns]
            replies = [Reply(text=text, sender=sender) for text in texts]
            async with self._sessions.begin() as session:
                session.add(
                    NotificationRow(
                        user_id=conversation.user_id,
                        conversation_id=conversation.id,
                        channel=conversation.channel,
                        replies={"replies": [r.model_dump(mode="json") for r in replies]},
                        created_at=utcnow(),
                        delivered_at=None,
                    )
                )
            if services.notifier.on_queued is not None:
                services.notifier.on_queued()

    async def _changed(self, escalation_id: int, status: str) -> None:
        await publish(
            self.services.events,
            ESCALATIONS,
            {"type": "escalation", "id": escalation_id, "status": status},
        )
