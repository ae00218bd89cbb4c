"""Guichet's side of a Rasa conversation: one Guichet conversation per Rasa sender.

Rasa owns the dialogue (its tracker holds the slots the user gave); Guichet keeps, per sender,
a conversation of channel `rasa` with the transcript copied from the tracker (tickets link to
it) and the state its actions keep between calls (a one-time code sent, wrong codes, the
parent incident found by the review). Rasa calls one action of a conversation at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rasa_sdk import Tracker

from actions.protocol import Action, ActionContext
from bot.kernel.domain import Conversation, Turn
from bot.kernel.registry import Registry
from bot.services import Services
from connectors.rasa_actions.translate import (
    CHANNEL,
    latest_parse,
    stated_language,
    turns_after,
)
from nlu.protocol import ParseResult

SHORT_MESSAGE_WORDS = 3


@dataclass
class Opened:
    """A Guichet conversation opened for one action call, and what to save after it."""

    conversation: Conversation
    context: ActionContext
    parse: ParseResult
    new_turns: list[Turn] = field(default_factory=list)


class RasaBridge:
    def __init__(self, services: Services) -> None:
        self.services = services
        blank = self.blank_context()
        # What the user types for these is not kept in Guichet's transcript (one-time codes).
        self.secret_slots = frozenset(
            slot.name
            for name in self.actions.names()
            for slot in self.actions.get(name).slots(blank)
            if slot.secret
        )

    @property
    def actions(self) -> Registry[Action]:
        return self.services.engine.actions

    def blank_context(self) -> ActionContext:
        """A context without a conversation: what an action's slots are before it starts."""
        conversation = Conversation(
            id="", channel=CHANNEL, user_id="", language=self.services.settings.default_language
        )
        return self.services.engine.forms.context(conversation)

    async def open(self, tracker: Tracker) -> Opened:
        """The sender's conversation, with the tracker's new messages and its language."""
        engine = self.services.engine
        conversation = await self.services.conversations.latest_for_user(
            channel=CHANNEL, user_id=tracker.sender_id
        ) or await engine.start(channel=CHANNEL, user_id=tracker.sender_id)
        latest = tracker.latest_message
        parse = latest_parse(latest)
        stated = stated_language(tracker.slots, latest)
        if stated is not None:
            conversation.language, conversation.language_locked = stated, True  # type: ignore[assignment]
        elif not conversation.language_locked and len(parse.text.split()) >= SHORT_MESSAGE_WORDS:
            detection = engine.languages.detect(parse.text)
            if detection.confidence >= engine.thresholds.language_switch:
                conversation.language = detection.language
        last = conversation.transcript[-1].at if conversation.transcript else None
        new_turns = turns_after(tracker.events, last, self.secret_slots)
        for turn in new_turns:
            turn.language = conversation.language
        conversation.transcript.extend(new_turns)
        return Opened(conversation, engine.forms.context(conversation), parse, new_turns)

    async def close(self, opened: Opened) -> None:
        await self.services.conversations.save(opened.conversation, opened.new_turns)
