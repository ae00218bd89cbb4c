"""Runs an action's form: starts it, fills its slots over several turns, confirms, runs it."""

from __future__ import annotations

from typing import Any

from actions.protocol import Action, ActionContext, Similarity, Slot, SlotKind
from bot.dialogue import forms
from bot.kernel.domain import Button, Conversation, DialogueState, Reply
from bot.kernel.i18n import t
from bot.kernel.registry import Registry
from bot.observability.spans import span
from bot.tickets.service import TicketService
from knowledge_index.service import KnowledgeBase
from nlu.protocol import FALLBACK_INTENT, ParseResult

FAILURES_BEFORE_AGENT = 2
FORM_INTENTS = {"inform", "affirm", "deny", FALLBACK_INTENT}
DIGRESSION_CONFIDENCE = 0.75
KEPT_SLOTS = {"resolved_by_kb", "notices_shown"}  # notices_shown: bot/dialogue/notices.py


class FormRunner:
    def __init__(
        self,
        *,
        actions: Registry[Action],
        knowledge: KnowledgeBase,
        tickets: TicketService,
        similarity: Similarity,
        extras: dict[str, Any] | None = None,
    ) -> None:
        self.actions = actions
        self.knowledge = knowledge
        self.tickets = tickets
        self.similarity = similarity
        self.extras = extras or {}

    def context(self, conversation: Conversation) -> ActionContext:
        return ActionContext(
            conversation=conversation,
            tickets=self.tickets,
            knowledge=self.knowledge,
            similarity=self.similarity,
            services=self.extras,
        )

    @staticmethod
    def reset(state: DialogueState) -> None:
        state.active_action = state.requested_slot = None
        state.awaiting_confirmation = False
        state.slot_retries = 0
        state.slots = {k: v for k, v in state.slots.items() if k in KEPT_SLOTS}

    def expects_secret(self, conversation: Conversation) -> bool:
        """Whether the slot being asked for must not be kept in the transcript (a code)."""
        state = conversation.state
        if state.active_action is None or state.requested_slot is None:
            return False
        action = self.actions.get(state.active_action)
        slot = forms.slot_by_name(action, self.context(conversation), state.requested_slot)
        return slot is not None and slot.secret

    async def start(
        self,
        conversation: Conversation,
        name: str,
        parse: ParseResult | None,
        prefill: dict[str, str | None] | None = None,
    ) -> list[Reply]:
        state = conversation.state
        self.reset(state)
        state.active_action = name
        state.slots.update({k: v for k, v in (prefill or {}).items() if v})
        if parse is not None:
            await self._fill_from(conversation, parse, text_slots=False)
        opening = await self.actions.get(name).begin(self.context(conversation))
        if state.active_action is None:  # begin() ended the action (nothing to do, refused)
            return opening
        return opening + await self._advance(conversation, hint=parse)

    async def run(
        self, conversation: Conversation, name: str, prefill: dict[str, str] | None = None
    ) -> list[Reply]:
        state = conversation.state
        if state.active_action != name:
            self.reset(state)
            state.active_action = name
        state.slots.update(prefill or {})
        state.requested_slot = None
        state.awaiting_confirmation = False
        with span("action.run", {"guichet.action": name}):
            replies = await self.actions.get(name).run(self.context(conversation))
        if state.requested_slot is None:  # else the action asks again (a wrong code)
            self.reset(state)
        state.consecutive_failures = 0
        return replies

    async def aside(self, conversation: Conversation, parse: ParseResult) -> list[Reply] | None:
        """The form's own answer to a side request ("I did not get the code"), if it has one."""
        if conversation.state.active_action is None:
            return None
        action = self.actions.get(conversation.state.active_action)
        return await action.aside(
            self.context(conversation),
            text=parse.text,
            intent=parse.intent,
            entities={e.entity: str(e.value) for e in parse.entities},
        )

    def slot_names(self, conversation: Conversation) -> set[str]:
        """The slots of the action in progress; empty when none is."""
        name = conversation.state.active_action
        if name is None:
            return set()
        return {slot.name for slot in self.actions.get(name).slots(self.context(conversation))}

    async def where_we_are(self, conversation: Conversation) -> list[Reply]:
        """The pending question of the form in progress, asked again."""
        state, language = conversation.state, conversation.language
        action = self.actions.get(state.active_action or "")
        context = self.context(conversation)
        if state.awaiting_confirmation:
            return [forms.confirmation(action, context, language)]
        slot = forms.slot_by_name(action, context, state.requested_slot)
        if slot is None:
            return await self._advance(conversation)
        return [forms.question(slot, language)]

    async def proceed(self, conversation: Conversation, parse: ParseResult) -> list[Reply] | None:
        """The next step of the form in progress; None when the user moved on to another topic."""
        state, language = conversation.state, conversation.language
        action = self.actions.get(state.active_action or "")
        context = self.context(conversation)
        if parse.intent == "change" and parse.entity("slot"):
            state.slots.pop(parse.entity("slot") or "", None)
            state.awaiting_confirmation = False
            return await self._advance(conversation)
        if state.awaiting_confirmation:
            if parse.intent not in FORM_INTENTS and parse.confidence >= DIGRESSION_CONFIDENCE:
                self.reset(state)
                return None
            if parse.intent == "affirm":
                return await self.run(conversation, action.name)
            if await self._fill_from(conversation, parse, text_slots=False):
                return [Reply(text=t("Updated.", language)), *await self._advance(conversation)]
            if parse.intent == "deny":
                return [
                    Reply(
                        text=t("What would you like to change?", language),
                        buttons=forms.change_buttons(action, context, language),
                    )
                ]
            return [forms.confirmation(action, context, language)]
        requested = state.requested_slot
        before = dict(state.slots)
        await self._fill_from(conversation, parse, text_slots=not parse.text.startswith("/"))
        if requested and not state.slots.get(requested):
            if parse.intent not in FORM_INTENTS and parse.confidence >= DIGRESSION_CONFIDENCE:
                self.reset(state)
                return None
            state.slot_retries += 1
            slot = forms.slot_by_name(action, context, requested)
            if slot is None:
                return await self._advance(conversation)
            buttons = await self._choices(conversation, slot, parse)
            if state.slot_retries >= FAILURES_BEFORE_AGENT:
                buttons = [
                    *buttons,
                    Button(title=t("Talk to an agent", language), payload="/human_handoff"),
                ]
            return [forms.question(slot, language, again=True, buttons=buttons)]
        state.slot_retries = 0
        corrected = [k for k, v in before.items() if k != requested and state.slots.get(k) != v]
        prefix = [Reply(text=t("Updated.", language))] if corrected else []
        return prefix + await self._advance(conversation)

    async def _fill_from(
        self, conversation: Conversation, parse: ParseResult, *, text_slots: bool
    ) -> bool:
        """Fill or correct every slot the message gives a value for; true if any changed."""
        state = conversation.state
        action = self.actions.get(state.active_action or "")
        slots, changed = state.slots, False
        for slot in action.slots(self.context(conversation)):
            value = forms.entity_value(slot, parse)
            if (
                value is None
                and slot.kind is SlotKind.CATALOG_ITEM
                and not parse.text.startswith("/")
                and (not slots.get(slot.name) or slot.name == state.requested_slot)
            ):
                value, _ = await forms.catalog_choice(
                    self.knowledge, parse.text, conversation.language
                )
            if (
                value is None
                and text_slots
                and slot.kind is SlotKind.TEXT
                and slot.name == state.requested_slot
            ):
                value = parse.text.strip() or None
            if value is not None and slots.get(slot.name) != value:
                slots[slot.name], changed = value, True
        return changed

    async def _choices(
        self, conversation: Conversation, slot: Slot, parse: ParseResult
    ) -> list[Button]:
        if slot.kind is SlotKind.CATALOG_ITEM and not parse.text.startswith("/"):
            _, buttons = await forms.catalog_choice(
                self.knowledge, parse.text, conversation.language
            )
            return buttons
        return forms.slot_buttons(slot, conversation.language)

    async def _advance(
        self, conversation: Conversation, hint: ParseResult | None = None
    ) -> list[Reply]:
        """Ask for the next missing slot, ask for confirmation, or run the action.

        `hint` is the message that started the action: its closest catalog items become the
        buttons of the question when the item was not clear.
        """
        state, language = conversation.state, conversation.language
        action = self.actions.get(state.active_action or "")
        context = self.context(conversation)
        missing = forms.next_missing(action, context)
        if missing is not None:
            state.requested_slot = missing.name
            buttons = await self._choices(conversation, missing, hint) if hint else None
            return [forms.question(missing, language, buttons=buttons)]
        state.requested_slot = None
        if action.confirm:
            state.awaiting_confirmation = True
            review = await action.review(context)
            return [*review, forms.confirmation(action, context, language)]
        return await self.run(conversation, action.name)
