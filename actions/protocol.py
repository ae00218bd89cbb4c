"""The `Action` plug-in point: what the bot does once it knows what the user wants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from bot.domain import Conversation, Reply
from bot.tickets.service import TicketService
from knowledge_index.service import KnowledgeBase


class SlotKind(StrEnum):
    TEXT = "text"
    IMPACT = "impact"
    URGENCY = "urgency"
    CATALOG_ITEM = "catalog_item"
    TICKET_NUMBER = "ticket_number"


@dataclass(frozen=True)
class Slot:
    name: str
    kind: SlotKind
    required: bool = True


@dataclass
class ActionContext:
    conversation: Conversation
    tickets: TicketService
    knowledge: KnowledgeBase

    @property
    def slots(self) -> dict[str, Any]:
        return self.conversation.state.slots

    @property
    def language(self) -> str:
        return self.conversation.language


class Action(Protocol):
    """One thing the bot can do for the user.

    The engine fills `slots` in order, asking the user for each missing required one; when
    `confirm` is true it then shows `summary` and waits for a yes before calling `run`.
    `run` must not ask further questions: it does the work and says what happened.
    """

    @property
    def name(self) -> str: ...

    @property
    def slots(self) -> Sequence[Slot]: ...

    @property
    def confirm(self) -> bool: ...

    def summary(self, context: ActionContext) -> str: ...

    async def run(self, context: ActionContext) -> list[Reply]: ...
