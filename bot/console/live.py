"""What the console hears: turns saved in a conversation, escalations that changed, and
approvals asked, reminded, handed to the service desk or decided."""

from __future__ import annotations

import logging

from bot.console.markdown import markdown
from bot.dialogue.engine import TurnsSaved
from bot.events.protocol import Event, EventBus
from bot.kernel.domain import Conversation, Turn
from bot.kernel.ticket_models import Ticket
from bot.tickets.approvals import ApprovalChanged, Change, desk_decides

logger = logging.getLogger(__name__)

ESCALATIONS = "escalations"


def conversation_topic(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"


def turn_event(conversation_id: str, turn: Turn) -> Event:
    return {
        "type": "turn",
        "conversation_id": conversation_id,
        "role": turn.role,
        "text": turn.text,
        # The bot's and agents' Markdown, rendered and escaped here: the page inserts it as is.
        "html": None if turn.role == "user" else str(markdown(turn.text)),
        "at": turn.at.isoformat(),
        "buttons": [button.title for button in turn.buttons],
        "choices": [button.model_dump() for button in turn.buttons],  # to name what is pressed
    }


async def publish(bus: EventBus, topic: str, event: Event) -> None:
    """Live updates are a convenience: a bus that is down must not fail the user's message."""
    await publish_all(bus, [(topic, event)])


async def publish_all(bus: EventBus, events: list[tuple[str, Event]]) -> None:
    """`publish` for several events, in order, in one round trip to the bus."""
    try:
        await bus.publish_all(events)
    except Exception as exc:
        topics = ", ".join(dict.fromkeys(topic for topic, _ in events))
        logger.warning("live update on %s not published: %s: %s", topics, type(exc).__name__, exc)


def announcer(bus: EventBus) -> TurnsSaved:
    """The engine's `on_saved`: every turn to the conversation's topic; activity in an escalated
    conversation (a new escalation included) to the queue's topic."""

    async def announce(conversation: Conversation, turns: list[Turn]) -> None:
        topic = conversation_topic(conversation.id)
        events = [(topic, turn_event(conversation.id, turn)) for turn in turns]
        if conversation.state.handed_off or conversation.state.agent is not None:
            events.append((ESCALATIONS, {"type": "activity", "conversation_id": conversation.id}))
        await publish_all(bus, events)

    return announce


def approval_announcer(bus: EventBus) -> ApprovalChanged:
    """ApprovalService's `on_change`: every step to the queue's topic, so the console's pages
    refresh and an approval handed to the service desk shows up at once. No names or addresses
    in the event: pages reload what they show."""

    async def announce(ticket: Ticket, change: Change) -> None:
        await publish(
            bus,
            ESCALATIONS,
            {
                "type": "approval",
                "change": change,
                "reference": ticket.reference,
                "service_desk": desk_decides(ticket),
            },
        )

    return announce
