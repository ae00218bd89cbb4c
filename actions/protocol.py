"""The `Action` plug-in point: what the bot does once it knows what the user wants."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from bot.kernel.domain import Conversation, Reply
from bot.kernel.ticket_models import TicketDesk
from knowledge_index.service import KnowledgeBase


class SlotKind(StrEnum):
    TEXT = "text"  # free text: the whole message
    IMPACT = "impact"
    URGENCY = "urgency"
    CATEGORY = "category"
    CATALOG_ITEM = "catalog_item"
    TICKET_NUMBER = "ticket_number"
    CHOICE = "choice"  # one of `options`
    CODE = "code"  # a one-time code of digits; never kept in the transcript


@dataclass(frozen=True)
class Slot:
    name: str
    kind: SlotKind
    required: bool = True
    # For slots an action defines at run time (a catalog item's fields): the question and the
    # options, in English and French. Other slots use the `ask_<name>` message.
    label: dict[str, str] | None = None
    options: tuple[tuple[str, dict[str, str]], ...] = ()

    @property
    def secret(self) -> bool:
        return self.kind is SlotKind.CODE


Similarity = Callable[[str, Sequence[str]], Awaitable[list[float]]]


@dataclass
class ActionContext:
    conversation: Conversation
    tickets: TicketDesk
    knowledge: KnowledgeBase
    similarity: Similarity
    services: dict[str, Any] = field(default_factory=dict)

    @property
    def slots(self) -> dict[str, Any]:
        return self.conversation.state.slots

    @property
    def language(self) -> str:
        return self.conversation.language

    @property
    def timezone(self) -> str:
        """The user's time zone (their channel's), else the deployment's default."""
        return self.conversation.state.timezone or str(
            self.services.get("default_timezone") or "UTC"
        )


class Action(Protocol):
    """One thing the bot can do for the user.

    When the action starts, `begin` may say something or act (send a one-time code). The
    engine then fills `slots(context)` in order, asking the user for each missing required one
    (the list may depend on slots already filled, such as a catalog item's own fields). When
    `confirm` is true it shows `summary` with what `review` adds (articles that may solve the
    problem, a similar open ticket, an ongoing incident) and waits for a yes before `run`.
    `run` must not ask further questions: it does the work and says what happened.
    `sometimes` names the slots `slots(context)` adds only in some conversations (the device
    an incident concerns, when the inventory knows the user's): channels that declare their
    slots beforehand (Rasa's domain) declare these too.
    `aside` sees each message that arrives while the form is in progress, before it is read as
    a slot value: an action may answer a side request that belongs to it ("I did not get the
    code") and keep the form where it is, or return None to let the form go on as usual.
    """

    @property
    def name(self) -> str: ...

    @property
    def confirm(self) -> bool: ...

    @property
    def sometimes(self) -> Sequence[Slot]: ...

    def slots(self, context: ActionContext) -> Sequence[Slot]: ...

    async def begin(self, context: ActionContext) -> list[Reply]: ...

    def summary(self, context: ActionContext) -> str: ...

    async def review(self, context: ActionContext) -> list[Reply]: ...

    async def run(self, context: ActionContext) -> list[Reply]: ...

    async def aside(
        self, context: ActionContext, *, text: str, intent: str, entities: Mapping[str, str]
    ) -> list[Reply] | None: ...


class SimpleAction:
    """Defaults for the optional steps: nothing to say at the start, nothing to review, no
    side requests, no slot asked only sometimes."""

    sometimes: Sequence[Slot] = ()

    async def aside(
        self, context: ActionContext, *, text: str, intent: str, entities: Mapping[str, str]
    ) -> list[Reply] | None:
        return None

    async def begin(self, context: ActionContext) -> list[Reply]:
        return []

    async def review(self, context: ActionContext) -> list[Reply]:
        return []

    def summary(self, context: ActionContext) -> str:
        return ""
