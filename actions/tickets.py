"""Create a ticket from the conversation, and tell the user where their tickets are."""

from __future__ import annotations

import re

from actions.priority import CATEGORY_BY_INTENT
from actions.protocol import ActionContext, Slot, SlotKind
from bot.domain import Button, Link, Reply
from bot.errors import TicketNotFound
from bot.messages import t
from bot.storage.tickets import NewTicket


def ticket_title(description: str, limit: int = 80) -> str:
    first = re.split(r"(?<=[.!?])\s", description.strip(), maxsplit=1)[0]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def transcript_excerpt(context: ActionContext, turns: int = 20) -> list[dict[str, str]]:
    return [
        {"role": turn.role, "text": turn.text, "at": turn.at.isoformat()}
        for turn in context.conversation.transcript[-turns:]
    ]


class CreateTicket:
    name = "create_ticket"
    slots = (
        Slot("description", SlotKind.TEXT),
        Slot("impact", SlotKind.IMPACT),
        Slot("urgency", SlotKind.URGENCY),
    )
    confirm = True

    def summary(self, context: ActionContext) -> str:
        slots, language = context.slots, context.language
        return t(
            "ticket_summary",
            language,
            description=slots["description"],
            impact=t(f"impact_{slots['impact']}", language),
            urgency=t(f"urgency_{slots['urgency']}", language),
            priority=context.tickets.priority(slots["impact"], slots["urgency"]),
        )

    async def run(self, context: ActionContext) -> list[Reply]:
        slots, conversation = context.slots, context.conversation
        ticket = await context.tickets.create(
            NewTicket(
                kind="incident",
                requester=conversation.user_id,
                channel=conversation.channel,
                conversation_id=conversation.id,
                title=ticket_title(slots["description"]),
                description=slots["description"],
                category=CATEGORY_BY_INTENT.get(conversation.state.last_intent or "", "other"),
                impact=slots["impact"],
                urgency=slots["urgency"],
                priority=context.tickets.priority(slots["impact"], slots["urgency"]),
                language=conversation.language,
                details={
                    "transcript": transcript_excerpt(context),
                    "articles_offered": conversation.state.offered_articles,
                },
            )
        )
        return [
            Reply(
                text=t(
                    "ticket_created",
                    context.language,
                    reference=ticket.reference,
                    priority=ticket.priority,
                ),
                links=[Link(title=ticket.reference, url=f"/tickets/{ticket.reference}")],
            )
        ]


def normalise_reference(raw: str) -> str:
    """'inc104233', 'INC-104233' and '104233' (an incident) all name the same ticket."""
    match = re.search(r"(INC|REQ)?-?(\d{1,7})", raw.upper())
    if match is None:
        return raw.upper()
    return f"{match.group(1) or 'INC'}-{int(match.group(2)):06d}"


class TicketStatus:
    name = "ticket_status"
    slots = (Slot("ticket_number", SlotKind.TICKET_NUMBER, required=False),)
    confirm = False

    def summary(self, context: ActionContext) -> str:
        return ""

    async def run(self, context: ActionContext) -> list[Reply]:
        language, user = context.language, context.conversation.user_id
        number = context.slots.get("ticket_number")
        if number:
            reference = normalise_reference(number)
            try:
                ticket = await context.tickets.store.get(reference)
            except TicketNotFound:
                ticket = None
            if ticket is None or ticket.requester != user:
                return [
                    Reply(
                        text=t("ticket_unknown", language, reference=reference),
                        buttons=[
                            Button(
                                title=t("button_my_tickets", language), payload="/incident_status"
                            )
                        ],
                    )
                ]
            tickets = [ticket]
        else:
            tickets = await context.tickets.store.open_for(user)
            if not tickets:
                return [Reply(text=t("no_open_tickets", language))]
        lines = [
            t(
                "ticket_status",
                language,
                reference=tk.reference,
                title=tk.title,
                status=t(f"status_{tk.status}", language),
                priority=tk.priority,
                opened=tk.created_at.strftime("%Y-%m-%d %H:%M"),
            )
            for tk in tickets
        ]
        header = [] if number else [t("open_tickets", language)]
        return [
            Reply(
                text="\n".join(header + lines),
                links=[Link(title=tk.reference, url=f"/tickets/{tk.reference}") for tk in tickets],
            )
        ]
