"""Create a ticket from the conversation; follow it up: status, comment, reopen."""

from __future__ import annotations

import re
from collections.abc import Sequence

from actions.assets import concerned, device_question, holdings, named_kinds
from actions.known_errors import LINKER, known_errors, matching_known_error
from actions.outage import group_outage
from actions.protocol import ActionContext, SimpleAction, Slot, SlotKind
from bot.kernel.assets import AssetLink
from bot.kernel.domain import Button, Link, Reply, payload
from bot.kernel.errors import TicketNotFound
from bot.kernel.formats import when
from bot.kernel.i18n import t, tp
from bot.kernel.messages import (
    CATEGORY_LABELS,
    IMPACT_LABELS,
    URGENCY_LABELS,
    status_name,
    waiting_for,
)
from bot.kernel.problems import Problem, known_error_slug
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.kernel.tickets import CATEGORY_BY_INTENT, OPEN_STATUSES, InvalidTransition
from knowledge_index.documents import EntryType
from knowledge_index.index import SearchQuery

REVIEW_ARTICLE_SCORE = 0.5
DUPLICATE_SIMILARITY = 0.8
INCIDENT_SIMILARITY = 0.7
ARTICLES: tuple[EntryType, ...] = ("procedure", "faq", "known_error")
ASSET_SLOT = "asset"  # which of the user's devices the incident concerns
NO_DEVICE = "none"  # "another one": the device is not among those the inventory knows


def ticket_title(description: str, limit: int = 80) -> str:
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def transcript_excerpt(context: ActionContext, turns: int = 20) -> list[dict[str, str]]:
    return [
        {"role": turn.role, "text": turn.text, "at": turn.at.isoformat()}
        for turn in context.conversation.transcript[-turns:]
    ]


def normalise_reference(raw: str) -> str:
    """'inc104233', 'INC-104233' and '104233' (an incident) all name the same ticket."""
    match = re.search(r"(INC|REQ)?-?(\d{1,7})", raw.upper())
    if match is None:
        return raw.upper()
    return f"{match.group(1) or 'INC'}-{int(match.group(2)):06d}"


async def most_similar(
    context: ActionContext, text: str, tickets: Sequence[Ticket]
) -> tuple[Ticket, float] | None:
    """The ticket closest in meaning to `text`: its title or any line of its description."""
    texts, owners = [], []
    for index, ticket in enumerate(tickets):
        for part in [ticket.title, *ticket.description.splitlines()]:
            if part.strip():
                texts.append(part.split(": ", 1)[-1] if ": " in part else part)
                owners.append(index)
    if not texts:
        return None
    scores = await context.similarity(text, texts)
    best = max(range(len(texts)), key=scores.__getitem__)
    return tickets[owners[best]], scores[best]


class CreateTicket(SimpleAction):
    name = "create_ticket"
    confirm = True
    sometimes = (Slot(ASSET_SLOT, SlotKind.CHOICE),)

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        form = (
            Slot("description", SlotKind.TEXT),
            Slot("impact", SlotKind.IMPACT),
            Slot("urgency", SlotKind.URGENCY),
            Slot("category", SlotKind.CATEGORY),
        )
        devices = self._devices(context)
        if not devices:
            return form
        return (
            *form,
            Slot(
                ASSET_SLOT,
                SlotKind.CHOICE,
                label={lang: device_question(devices, lang) for lang in ("en", "fr")},
                options=(
                    *((d.id, {"en": d.label, "fr": d.label}) for d in devices),
                    (NO_DEVICE, {lang: t("Another one", lang) for lang in ("en", "fr")}),
                ),
            ),
        )

    @staticmethod
    def _devices(context: ActionContext) -> list[AssetLink]:
        """The user's devices this incident may be about (its category and words say which)."""
        slots = context.slots
        if not slots.get("category") or not slots.get("description"):
            return []
        held = [AssetLink.model_validate(h) for h in slots.get("holdings") or []]
        return concerned(held, slots["category"], slots["description"])[:4]

    def _device(self, context: ActionContext) -> AssetLink | None:
        chosen = context.slots.get("asset")
        return next((d for d in self._devices(context) if d.id == chosen), None)

    async def begin(self, context: ActionContext) -> list[Reply]:
        """Propose a category from what the user asked about; they can change it. Their
        devices are looked up once, to ask which one is concerned."""
        intent = context.conversation.state.last_intent or ""
        # A device named in the description ("mon écran...") makes it a hardware problem.
        named = "hardware" if named_kinds(context.slots.get("description") or "") else "other"
        context.slots.setdefault("category", CATEGORY_BY_INTENT.get(intent, named))
        context.slots["holdings"] = [
            AssetLink.of(asset).model_dump(mode="json") for asset in await holdings(context)
        ]
        return []

    def summary(self, context: ActionContext) -> str:
        slots, language = context.slots, context.language
        impact, urgency, category = slots["impact"], slots["urgency"], slots["category"]
        device = self._device(context)
        summary = t(
            "I'll create a ticket:\n- Problem: {description}\n- Affected: {impact}\n- "
            "Urgency: {urgency}\n- Category: {category}\n- Priority: {priority}",
            language,
            description=slots["description"],
            impact=t(IMPACT_LABELS[impact], language),
            urgency=t(URGENCY_LABELS[urgency], language),
            category=t(CATEGORY_LABELS[category], language),
            priority=context.tickets.priority(impact, urgency),
        )
        if device is not None:
            summary += "\n" + t("- Device: {device}", language, device=device.label)
        return summary

    async def review(self, context: ActionContext) -> list[Reply]:
        """Before creating: articles that may solve it, a similar open ticket, a major incident."""
        language, description = context.language, context.slots["description"]
        state = context.conversation.state
        replies: list[Reply] = []
        known = await matching_known_error(context, description)
        context.slots.pop("problem", None)
        if known is not None:
            problem = known[0]
            context.slots["problem"] = problem.reference
            slug = known_error_slug(problem.reference)
            state.offered_articles = [*state.offered_articles, slug][-10:]
            replies.append(
                Reply(
                    text=t(
                        'This is a known problem: "{title}". While it is being fixed, this '
                        "should get you going:\n{workaround}\nIf it doesn't, confirm and your "
                        "ticket will be linked to the problem.",
                        language,
                        title=problem.title,
                        workaround=problem.workaround(language),
                    ),
                    links=[
                        Link(
                            title=t(
                                "Known problem {reference}", language, reference=problem.reference
                            ),
                            url=f"/kb/{_entry_language(problem, language)}/{slug}",
                        )
                    ],
                )
            )
        hits = await context.knowledge.search(
            SearchQuery(
                description,
                language,  # type: ignore[arg-type]
                limit=2,
                types=ARTICLES,
            )
        )
        fresh = [
            h
            for h in hits
            if h.score >= REVIEW_ARTICLE_SCORE
            and h.entry.id not in state.offered_articles
            and h.entry.group not in state.offered_articles
        ]
        if fresh:
            state.offered_articles = [*state.offered_articles, *(h.entry.id for h in fresh)][-10:]
            replies.append(
                Reply(
                    text=t(
                        "Before I create it: these articles might solve it right away.", language
                    ),
                    links=[Link(title=h.entry.title, url=h.entry.url) for h in fresh],
                )
            )
        mine = await context.tickets.open_for(context.conversation.user_id)
        duplicate = await most_similar(context, description, mine)
        if duplicate and duplicate[1] >= DUPLICATE_SIMILARITY:
            ticket = duplicate[0]
            replies.append(
                Reply(
                    text=t(
                        'You already have {reference} "{title}" open about something similar. '
                        "Add this to it instead of opening a new ticket?",
                        language,
                        reference=ticket.reference,
                        title=ticket.title,
                    ),
                    buttons=[
                        Button(
                            title=tp(
                                "duplicate",
                                "Add to {reference}",
                                language,
                                reference=ticket.reference,
                            ),
                            payload=payload(
                                "add_comment", ticket_number=ticket.reference, comment=description
                            ),
                        )
                    ],
                )
            )
        incidents = [
            tk
            for tk in await context.tickets.find(statuses=OPEN_STATUSES, kind="incident", limit=50)
            if tk.details.get("major_incident")
        ]
        incident = await most_similar(context, description, incidents)
        if incident and incident[1] >= INCIDENT_SIMILARITY:
            context.slots["parent"] = incident[0].reference
            replies.append(
                Reply(
                    text=t(
                        'This looks like the ongoing incident {reference} "{title}": your '
                        "ticket is linked to it, so you will hear as soon as it is fixed.",
                        language,
                        reference=incident[0].reference,
                        title=incident[0].title,
                    )
                )
            )
        return replies

    async def run(self, context: ActionContext) -> list[Reply]:
        slots, conversation = context.slots, context.conversation
        device = self._device(context)
        description = slots["description"]
        if device is not None:
            description += "\n\n" + t(
                "Device: {device}", conversation.language, device=device.label
            )
        ticket = await context.tickets.create(
            NewTicket(
                kind="incident",
                requester=conversation.user_id,
                channel=conversation.channel,
                conversation_id=conversation.id,
                title=ticket_title(slots["description"]),
                description=description,
                category=slots.get("category", "other"),
                impact=slots["impact"],
                urgency=slots["urgency"],
                priority="P5",
                language=conversation.language,
                parent_reference=slots.get("parent"),
                details={
                    "transcript": transcript_excerpt(context),
                    "articles_offered": conversation.state.offered_articles,
                    "intent": conversation.state.last_intent,
                    **({"known_error": slots["problem"]} if slots.get("problem") else {}),
                    **({"asset": device.model_dump(mode="json")} if device else {}),
                },
            )
        )
        desk = known_errors(context)
        if slots.get("problem") and desk is not None:
            await desk.link(slots["problem"], ticket.reference, actor=LINKER)
        replies = [
            Reply(
                text=t(
                    "Ticket {reference} is created with priority {priority}. The service "
                    'desk will get back to you; you can ask me "where is my ticket?" at '
                    "any time.",
                    context.language,
                    reference=ticket.reference,
                    priority=ticket.priority,
                ),
                links=[Link(title=ticket.reference, url=f"/tickets/{ticket.reference}")],
            )
        ]
        parent = await group_outage(context, ticket)
        if parent is not None and not slots.get("parent"):
            replies.append(
                Reply(
                    text=t(
                        'This looks like the ongoing incident {reference} "{title}": your '
                        "ticket is linked to it, so you will hear as soon as it is fixed.",
                        context.language,
                        reference=parent.reference,
                        title=parent.title,
                    )
                )
            )
        return replies


def _entry_language(problem: Problem, language: str) -> str:
    """The language the known error's entry exists in: the user's when it has a workaround."""
    if language == "fr":
        return "fr" if problem.workaround_fr else "en"
    return "en" if problem.workaround_en else "fr"


class TicketStatus(SimpleAction):
    name = "ticket_status"
    confirm = False

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        return (Slot("ticket_number", SlotKind.TICKET_NUMBER, required=False),)

    async def run(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        number = context.slots.get("ticket_number")
        if number:
            reference = normalise_reference(number)
            ticket = await own_ticket(context, reference)
            if ticket is None:
                return [
                    Reply(
                        text=not_yours(reference, language),
                        buttons=[
                            Button(title=t("My tickets", language), payload="/incident_status")
                        ],
                    )
                ]
            tickets = [ticket]
        else:
            tickets = await context.tickets.open_for(user)
            if not tickets:
                return [Reply(text=t("You have no open ticket.", language))]
        lines = [await status_line(context, tk) for tk in tickets]
        header = [] if number else [t("Your open tickets:", language)]
        buttons = []
        for tk in tickets[:3]:
            buttons.append(
                Button(
                    title=tp("comment", "Add to {reference}", language, reference=tk.reference),
                    payload=payload("add_comment", ticket_number=tk.reference),
                )
            )
            if tk.status == "resolved":
                buttons.append(
                    Button(
                        title=t("Reopen {reference}", language, reference=tk.reference),
                        payload=payload("reopen", ticket=tk.reference),
                    )
                )
        return [
            Reply(
                text="\n".join(header + lines),
                buttons=buttons,
                links=[Link(title=tk.reference, url=f"/tickets/{tk.reference}") for tk in tickets],
            )
        ]


async def status_line(context: ActionContext, ticket: Ticket) -> str:
    """Where a ticket is, for its requester: its status and what it waits for, and the agent
    who has it, by name."""
    language = context.language
    status = status_name(ticket.status, language)
    why = waiting_for(ticket, language)
    line = t(
        '{reference} "{title}": status {status}, priority {priority}, opened {opened}.',
        language,
        reference=ticket.reference,
        title=ticket.title,
        status=f"{status} ({why})" if why else status,
        priority=ticket.priority,
        opened=when(ticket.created_at, language, context.timezone),
    )
    if ticket.assignee:
        agent = await context.tickets.agent_name(ticket.assignee)
        line += t(" Handled by {agent}.", language, agent=agent)
    return line


class AddComment(SimpleAction):
    """Add information to one of the user's tickets (the latest open one by default)."""

    name = "add_comment"
    confirm = False

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        return (Slot("ticket_number", SlotKind.TICKET_NUMBER), Slot("comment", SlotKind.TEXT))

    async def begin(self, context: ActionContext) -> list[Reply]:
        if not context.slots.get("ticket_number"):
            latest = await context.tickets.open_for(context.conversation.user_id)
            if latest:
                context.slots["ticket_number"] = latest[0].reference
        return []

    async def run(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        reference = normalise_reference(context.slots["ticket_number"])
        if await own_ticket(context, reference) is None:
            return [Reply(text=not_yours(reference, language))]
        await context.tickets.comment(reference, author=user, body=context.slots["comment"])
        return [Reply(text=t("I've added that to {reference}.", language, reference=reference))]


async def own_ticket(context: ActionContext, reference: str) -> Ticket | None:
    """The ticket if it exists and the user of the conversation opened it."""
    try:
        ticket = await context.tickets.get(reference)
    except TicketNotFound:
        return None
    return ticket if ticket.requester == context.conversation.user_id else None


def not_yours(reference: str, language: str) -> str:
    """What the user is told of a ticket that does not exist or is someone else's: the same."""
    return t("I can't find a ticket {reference} opened by you.", language, reference=reference)


async def answer_resolution(context: ActionContext, reference: str, *, works: bool) -> list[Reply]:
    """The requester's answer to "does it work now?": close or reopen their ticket."""
    language, user = context.language, context.conversation.user_id
    context.conversation.state.awaiting_resolution = None
    ticket = await own_ticket(context, reference)
    if ticket is None:
        return [Reply(text=not_yours(reference, language))]
    try:
        await context.tickets.transition(
            ticket.reference, "closed" if works else "reopened", actor=user
        )
    except InvalidTransition:
        status = status_name(ticket.status, language)
        return [
            Reply(
                text=t(
                    "Your ticket {reference} is now {status}.",
                    language,
                    reference=ticket.reference,
                    status=status,
                )
            )
        ]
    text = (
        t("Great, I've closed {reference}. Thanks for confirming!", language)
        if works
        else t(
            "Sorry about that. I've reopened {reference}; the service desk will take it up again.",
            language,
        )
    )
    return [Reply(text=text.format(reference=ticket.reference))]
