"""The requester's answers to the satisfaction survey of a closed ticket: a score (a 1-5
button), then, if they write one, a comment."""

from __future__ import annotations

from typing import Protocol

from bot.kernel.domain import Button, Conversation, Reply, payload
from bot.kernel.i18n import t
from nlu.protocol import ParseResult

ANSWER_INTENT, SKIP_INTENT = "survey", "survey_skip"
COMMENT_SLOT = "survey_comment"  # the ticket whose comment the next message may be


class SurveyAnswers(Protocol):
    """Where answers are stored (the core's satisfaction surveys)."""

    async def answer(self, reference: str, *, requester: str, score: int) -> bool: ...

    async def comment(self, reference: str, *, requester: str, text: str) -> bool: ...


async def survey_turn(
    surveys: SurveyAnswers | None, conversation: Conversation, parse: ParseResult
) -> list[Reply] | None:
    """The reply when the message answers the survey; None when it is about something else."""
    if surveys is None:
        return None
    slots, language, user = conversation.state.slots, conversation.language, conversation.user_id
    pending = slots.pop(COMMENT_SLOT, None)
    reference = parse.entity("ticket")
    if parse.intent == ANSWER_INTENT and reference:
        score = parse.entity("score") or ""
        if not score.isdigit() or not await surveys.answer(
            reference, requester=user, score=int(score)
        ):
            return [Reply(text=t("I can't find that survey.", language))]
        slots[COMMENT_SLOT] = reference
        return [
            Reply(
                text=t(
                    "Thank you. Anything to add? Write it in one message, or choose No comment.",
                    language,
                ),
                buttons=[
                    Button(
                        title=t("No comment", language),
                        payload=payload(SKIP_INTENT, ticket=reference),
                    )
                ],
            )
        ]
    if parse.intent == SKIP_INTENT:
        return [Reply(text=t("Thank you for your answer.", language))]
    if isinstance(pending, str) and not parse.text.startswith("/") and parse.text.strip():
        await surveys.comment(pending, requester=user, text=parse.text)
        return [Reply(text=t("Thank you, your comment is noted.", language))]
    return None
