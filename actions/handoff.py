"""Hand the conversation over to a human agent, with everything the bot knows."""

from __future__ import annotations

from collections.abc import Sequence

from actions.protocol import ActionContext, SimpleAction, Slot
from actions.tickets import transcript_excerpt
from bot.kernel.domain import Reply
from bot.kernel.i18n import t

MINUTES_PER_WAITING_USER = 4


class HandOff(SimpleAction):
    name = "handoff"
    confirm = False

    def slots(self, context: ActionContext) -> Sequence[Slot]:
        return ()

    async def run(self, context: ActionContext) -> list[Reply]:
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
        language = context.language
        return [
            Reply(
                text=t(
                    "I'm passing you to a human agent with our conversation so far. "
                    "{waiting} Expected wait: about {minutes} minutes (service desk hours "
                    "Mon-Fri 8:00-18:00).",
                    language,
                    waiting=t(
                        "You are number {position} in the queue.", language, position=ahead + 1
                    ),
                    minutes=(ahead + 1) * MINUTES_PER_WAITING_USER,
                )
            )
        ]
