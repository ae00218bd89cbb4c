"""Hand the conversation over to a human agent, with everything the bot knows, and say honestly
what happens next.

The service desk's hours are the tickets' business calendar (GUICHET_TICKETS__CALENDAR__*:
opening hours, working days, public holidays). Outside them nobody would answer: the bot says
when agents are back (in the user's time zone, the zone named) and files the conversation as a
ticket itself, or adds it to the conversation's open ticket, so nothing is lost; the hand-off
stays in the agents' queue for the morning. Inside them, the wait it announces is the median
take-over time (hand-off to an agent taking it, in business time) of the last
`estimate_days` days; with fewer than `estimate_min_samples` take-overs it promises no figure.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from actions.protocol import ActionContext, SimpleAction, Slot
from actions.tickets import transcript_excerpt
from bot.kernel.domain import Link, Reply, utcnow
from bot.kernel.formats import day_and_time
from bot.kernel.i18n import t, tn
from bot.kernel.messages import TURN_ROLES
from bot.kernel.sla import BusinessCalendar
from bot.kernel.ticket_models import NewTicket, Ticket
from bot.kernel.tickets import CATEGORY_BY_INTENT
from bot.kernel.transcript import problem_statement
from bot.settings import HandOffSettings

TRANSCRIPT_TURNS = 20  # what a ticket filed out of hours keeps of the conversation
Clock = Callable[[], datetime]


def typical_wait(
    takeovers: Sequence[tuple[datetime, datetime]], calendar: BusinessCalendar, minimum: int
) -> timedelta | None:
    """The median business time from hand-off to take-over; None under `minimum` samples."""
    if len(takeovers) < max(minimum, 1):
        return None
    seconds = [calendar.between(handed, taken).total_seconds() for handed, taken in takeovers]
    return timedelta(seconds=statistics.median(seconds))


class HandOff(SimpleAction):
    name = "handoff"
    confirm = False

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        return ()

    async def run(self, context: ActionContext) -> list[Reply]:
        extras = context.services
        calendar: BusinessCalendar = extras.get("desk_hours") or BusinessCalendar()
        settings: HandOffSettings = extras.get("handoff") or HandOffSettings()
        clock: Clock = extras.get("clock") or utcnow
        now = clock()
        conversation = context.conversation
        state = conversation.state
        ahead = await context.tickets.waiting_escalations()
        await context.tickets.escalate(
            conversation_id=conversation.id,
            requester=conversation.user_id,
            reason=context.slots.get("reason", "user_request"),
            summary={
                "transcript": transcript_excerpt(context, turns=50),
                "last_intent": state.last_intent,
                "last_problem": state.last_problem,
                "articles_offered": state.offered_articles,
            },
        )
        state.handed_off = True
        if not calendar.is_open(now):
            return await self._out_of_hours(context, calendar.next_opening(now))
        language = context.language
        position = t("You are number {position} in the queue.", language, position=ahead + 1)
        wait = typical_wait(
            await context.tickets.takeovers(now - timedelta(days=settings.estimate_days)),
            calendar,
            settings.estimate_min_samples,
        )
        if wait is None:
            text = t(
                "I'm passing you to a human agent with our conversation so far. {position} "
                "An agent will answer as soon as possible.",
                language,
                position=position,
            )
        else:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            text = t(
                "I'm passing you to a human agent with our conversation so far. {position} {wait}",
                language,
                position=position,
                wait=tn(
                    "Agents have taken over in about {minutes} minute lately.",
                    "Agents have taken over in about {minutes} minutes lately.",
                    minutes,
                    language,
                    minutes=minutes,
                ),
            )
        return [Reply(text=text)]

    async def _out_of_hours(self, context: ActionContext, back: datetime) -> list[Reply]:
        """Nobody is there: file the conversation (or add it to its open ticket), say when
        agents are back."""
        language = context.language
        ticket, added = await self._file(context)
        back_at = day_and_time(back, language, context.timezone)
        closed = t(
            "The service desk is closed now; agents are back on {back}.", language, back=back_at
        )
        kept = (
            t(
                "I have added our conversation to your ticket {reference}, so nothing is lost: "
                "an agent will take it up then.",
                language,
                reference=ticket.reference,
            )
            if added
            else t(
                "I have filed ticket {reference} with our conversation, so nothing is lost: an "
                "agent will take it up then.",
                language,
                reference=ticket.reference,
            )
        )
        return [
            Reply(
                text=f"{closed} {kept}",
                links=[Link(title=ticket.reference, url=f"/tickets/{ticket.reference}")],
            )
        ]

    async def _file(self, context: ActionContext) -> tuple[Ticket, bool]:
        """The conversation's open incident with the conversation added, or a new one; and
        whether it was added to an existing ticket."""
        conversation, state = context.conversation, context.conversation.state
        language = conversation.language
        lines = "\n".join(
            t(
                "{label}: {value}",
                language,
                label=t(TURN_ROLES[turn.role], language) if turn.role in TURN_ROLES else turn.role,
                value=turn.text,
            )
            for turn in conversation.transcript[-TRANSCRIPT_TURNS:]
            if not turn.text.startswith("/")
        )
        open_here = [
            ticket
            for ticket in await context.tickets.open_for(conversation.user_id)
            if ticket.kind == "incident" and ticket.conversation_id == conversation.id
        ]
        if open_here:
            ticket = open_here[0]
            await context.tickets.comment(
                ticket.reference,
                author=conversation.user_id,
                body=t("Handed to an agent out of hours:", language) + "\n" + lines,
            )
            return ticket, True
        problem = state.last_problem or problem_statement(conversation.transcript)
        title = problem or t("Conversation handed to an agent out of hours", language)
        urgent = context.slots.get("reason") == "frustration"
        ticket = await context.tickets.create(
            NewTicket(
                kind="incident",
                requester=conversation.user_id,
                channel=conversation.channel,
                conversation_id=conversation.id,
                title=title[:200],
                description=lines[:20_000] or title,
                category=CATEGORY_BY_INTENT.get(state.last_intent or "", "other"),
                impact="person",
                urgency="high" if urgent else "low",
                priority="P5",
                language=language,
                details={
                    "transcript": transcript_excerpt(context),
                    "handoff": "out_of_hours",
                    "reason": context.slots.get("reason", "user_request"),
                },
            )
        )
        return ticket, False
