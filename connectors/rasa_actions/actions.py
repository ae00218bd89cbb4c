"""Each Guichet action as a rasa-sdk action, with the validation and question actions of its form.

For a Guichet action `X` with slots to fill (see `connectors/rasa_actions/domain.py`):
- `action_X` starts it (`begin`: a proposed category, a one-time code sent), hands over to the
  Rasa form `X_form` while a slot is missing or the user has not confirmed, then runs it and
  clears the form's slots;
- `validate_X_form` normalises what the form extracted with Guichet's own rules (an impact or
  urgency named in either language, a ticket reference, a catalog item found by search, a
  six-digit code), and adds a catalog item's own fields to the required slots;
- `action_ask_<slot>` asks for a slot in the user's language with Guichet's buttons; for
  `confirmed` it shows the review (articles, a similar open ticket, an ongoing incident) and the
  summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action as RasaAction
from rasa_sdk import ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import field_slot
from actions.priority import IMPACTS, URGENCIES
from actions.protocol import Action, ActionContext, Slot, SlotKind
from actions.tickets import answer_resolution, normalise_reference
from bot.dialogue import forms
from bot.dialogue.engine import OUTAGE_IMPACT, describes_a_problem, without_request
from bot.dialogue.form_runner import FormRunner
from bot.domain import Reply
from bot.messages import t
from bot.registry import UnknownPlugin
from bot.tickets.service import CATEGORIES
from connectors.rasa_actions.bridge import Opened, RasaBridge, take_slots
from connectors.rasa_actions.translate import CONFIRM_SLOT, REQUESTED_SLOT, form_name, to_message
from nlu.entities import fold
from nlu.protocol import Entity, ParseResult

Events = list[dict[str, Any]]
Domain = dict[str, Any]
LABELLED: dict[SlotKind, tuple[str, tuple[str, ...]]] = {
    SlotKind.IMPACT: ("impact", IMPACTS),
    SlotKind.URGENCY: ("urgency", URGENCIES),
    SlotKind.CATEGORY: ("category", CATEGORIES),
}


def needs_form(action: Action, context: ActionContext) -> bool:
    return action.confirm or any(slot.required for slot in action.slots(context))


def utter(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    for reply in replies:
        dispatcher.utter_message(**to_message(reply))


def slot_changes(tracker: Tracker, domain: Domain, values: dict[str, Any]) -> Events:
    """`SlotSet` for each slot the domain declares whose value differs from the tracker's."""
    declared = domain.get("slots") or {}
    return [
        SlotSet(name, value)
        for name, value in values.items()
        if name in declared and tracker.get_slot(name) != value
    ]


def has_form(domain: Domain, action: str) -> bool:
    return form_name(action) in (domain.get("forms") or {})


async def normalise(slot: Slot, value: Any, context: ActionContext) -> str | None:
    """Guichet's reading of a value a Rasa form extracted for `slot`; None when invalid."""
    raw = str(value).strip() if value is not None else ""
    if not raw:
        return None
    if slot.kind is SlotKind.TEXT:
        return raw
    if slot.kind is SlotKind.TICKET_NUMBER:
        return normalise_reference(raw) if any(c.isdigit() for c in raw) else None
    if slot.kind is SlotKind.CATALOG_ITEM:
        if context.knowledge.catalog_item(raw) is not None:
            return raw
        item, _ = await forms.catalog_choice(context.knowledge, raw, context.language)
        return item
    if slot.kind in LABELLED:  # the value itself, or its label in either language
        name, values = LABELLED[slot.kind]
        folded = fold(raw).strip(" .!")
        return next(
            (
                v
                for v in values
                if folded in {v, *(fold(t(f"{name}_{v}", lang)) for lang in ("en", "fr"))}
            ),
            None,
        )
    entity = Entity(entity=slot.name, value=raw, text=raw, start=0, end=len(raw), extractor="rasa")
    return forms.entity_value(
        slot, ParseResult(text=raw, intent="inform", confidence=1.0, entities=[entity])
    )


class BridgedAction(RasaAction):  # type: ignore[misc]
    def __init__(self, bridge: RasaBridge) -> None:
        self.bridge = bridge

    def guichet(self, name: str) -> Action:
        try:
            return self.bridge.actions.get(name)
        except UnknownPlugin as error:
            raise ActionExecutionRejection(self.name(), error.describe()) from error


Preset = Callable[[ParseResult], dict[str, str]]


def _ticket_preset(parse: ParseResult) -> dict[str, str]:
    return {"description": without_request(parse.text)} if describes_a_problem(parse.text) else {}


def _outage_preset(parse: ParseResult) -> dict[str, str]:
    text = parse.text if parse.text and not parse.text.startswith("/") else ""
    return {"impact": OUTAGE_IMPACT, **({"description": text} if text else {})}


def _password_preset(parse: ParseResult) -> dict[str, str]:
    return {"mode": "unlock" if parse.intent == "account_locked" else "reset"}


def _comment_preset(parse: ParseResult) -> dict[str, str]:
    return {k: v for k in ("comment",) if (v := parse.entity(k))}


PRESETS: dict[str, Preset] = {
    "create_ticket": _ticket_preset,
    "password_reset": _password_preset,
    "add_comment": _comment_preset,
}


@dataclass(frozen=True)
class Served:
    """A Rasa action name for a Guichet action, with what it fills in when it starts."""

    rasa_name: str
    guichet: str
    preset: Preset | None = None
    intent: str | None = None  # the intent to remember (it proposes the category)


class GuichetAction(BridgedAction):
    """`action_<name>`: start, hand over to the form while something is missing, run."""

    def __init__(self, bridge: RasaBridge, served: Served) -> None:
        super().__init__(bridge)
        self.served = served

    def name(self) -> str:
        return self.served.rasa_name

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> Events:
        action = self.guichet(self.served.guichet)
        opened = await self.bridge.open(tracker)
        try:
            replies, events = await self._step(action, opened, tracker, domain)
        finally:
            await self.bridge.close(opened)
        utter(dispatcher, replies)
        return events

    async def _step(
        self, action: Action, opened: Opened, tracker: Tracker, domain: Domain
    ) -> tuple[list[Reply], Events]:
        context, state = opened.context, opened.conversation.state
        form = form_name(action.name)
        submitting = form in {tracker.latest_action_name, tracker.active_loop_name}
        replies: list[Reply] = []
        if not submitting:
            FormRunner.reset(state)
            state.active_action = action.name
            state.last_intent = self.served.intent or opened.parse.intent
            take_slots(context, action, tracker.slots)
            preset = self.served.preset or PRESETS.get(action.name)
            for name, value in (preset(opened.parse) if preset else {}).items():
                context.slots.setdefault(name, value)
            for slot in action.slots(context):
                given = forms.entity_value(slot, opened.parse)
                if given is not None:
                    context.slots[slot.name] = given
            replies += await action.begin(context)
            if state.active_action is None:  # begin() ended it (an unknown account)
                FormRunner.reset(state)
                return replies, []
        else:
            state.active_action = action.name
            take_slots(context, action, tracker.slots)
        missing = forms.next_missing(action, context)
        form_here = has_form(domain, action.name)
        unconfirmed = action.confirm and form_here and tracker.get_slot(CONFIRM_SLOT) is not True
        if missing is not None or unconfirmed:
            state.requested_slot = missing.name if missing else None
            events = slot_changes(tracker, domain, dict(context.slots))
            if form_here:
                return replies, [*events, FollowupAction(form)]
            assert missing is not None
            return [*replies, forms.question(missing, context.language)], events
        names = {slot.name for slot in action.slots(context)} | {CONFIRM_SLOT}
        state.requested_slot = None
        replies += await action.run(context)
        again = state.requested_slot
        if again is not None:  # the action asks again (a wrong code)
            events = slot_changes(tracker, domain, {again: None})
            return replies, [*events, FollowupAction(form)] if form_here else events
        FormRunner.reset(state)
        return replies, slot_changes(tracker, domain, dict.fromkeys(names))


class ValidateForm(FormValidationAction):  # type: ignore[misc]
    """`validate_<name>_form`: Guichet's normalisation of the slots the Rasa form extracted."""

    def __init__(self, bridge: RasaBridge, guichet: str) -> None:
        self.bridge = bridge
        self.guichet = guichet

    def name(self) -> str:
        return f"validate_{form_name(self.guichet)}"

    def _context(self, tracker: Tracker) -> tuple[Action, ActionContext]:
        action = self.bridge.actions.get(self.guichet)
        context = self.bridge.blank_context()
        take_slots(context, action, tracker.slots)
        return action, context

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Domain,
    ) -> list[str]:
        """The action's required slots now (a catalog item adds its fields), then `confirmed`."""
        action, context = self._context(tracker)
        names = [slot.name for slot in action.slots(context) if slot.required]
        return [*names, CONFIRM_SLOT] if action.confirm else names

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> Events:
        """The answer to a slot the domain's form does not list (a catalog item's field):
        its entity in the message, or the message. Rasa's mappings extract the others."""
        requested = tracker.get_slot(REQUESTED_SLOT)
        if not requested or requested in self.domain_slots(domain):
            return []
        action, context = self._context(tracker)
        if forms.slot_by_name(action, context, requested) is None:
            return []
        latest = tracker.latest_message or {}
        entities = latest.get("entities") or []
        given = next((e.get("value") for e in entities if e.get("entity") == requested), None)
        value = given or latest.get("text")
        return [SlotSet(requested, value)] if value else []

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> Events:
        opened = await self.bridge.open(tracker)
        action = self.bridge.actions.get(self.guichet)
        context = opened.context
        take_slots(context, action, tracker.slots)
        required = await self.required_slots([], dispatcher, tracker, domain)
        values: dict[str, Any] = {}
        for name, value in tracker.slots_to_validate().items():
            if name == CONFIRM_SLOT and action.confirm:
                if value is False:  # "no": ask again for everything but what started it
                    values |= dict.fromkeys([CONFIRM_SLOT, *required[1:-1]])
                    utter(dispatcher, [Reply(text=t("ask_what_to_change", context.language))])
                continue
            slot = forms.slot_by_name(action, context, name)
            if slot is None:
                continue
            values[name] = await normalise(slot, value, context)
            if values[name] is None:
                context.slots.pop(name, None)
            else:
                context.slots[name] = values[name]
        await self.bridge.close(opened)
        tracker.slots.update(values)
        return [SlotSet(name, value) for name, value in values.items()]


class AskSlot(BridgedAction):
    """`action_ask_<slot>`: Guichet's question for a slot of the active form."""

    def __init__(self, bridge: RasaBridge, slot: str) -> None:
        super().__init__(bridge)
        self.slot = slot

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> Events:
        loop = tracker.active_loop_name or ""
        if not loop.endswith("_form"):
            raise ActionExecutionRejection(self.name(), f"{self.name()}: no form is active")
        action = self.guichet(loop.removesuffix("_form"))
        opened = await self.bridge.open(tracker)
        try:
            context = opened.context
            take_slots(context, action, tracker.slots)
            replies = await self._question(action, opened)
        finally:
            await self.bridge.close(opened)
        utter(dispatcher, replies)
        return []

    async def _question(self, action: Action, opened: Opened) -> list[Reply]:
        context, language = opened.context, opened.context.language
        if self.slot == CONFIRM_SLOT:
            return [*await action.review(context), forms.confirmation(action, context, language)]
        slot = forms.slot_by_name(action, context, self.slot)
        if slot is None:
            raise ActionExecutionRejection(self.name(), f"{action.name} has no slot {self.slot!r}")
        buttons = None
        text = opened.parse.text
        if slot.kind is SlotKind.CATALOG_ITEM and text and not text.startswith("/"):
            _, buttons = await forms.catalog_choice(context.knowledge, text, language)
        return [forms.question(slot, language, buttons=buttons)]


class ResolutionAnswer(BridgedAction):
    """`action_confirm_resolution` closes the user's resolved ticket, `action_reopen_ticket`
    reopens it: the ticket from the message, the `ticket_number` slot, or the one Guichet
    asked about."""

    def __init__(self, bridge: RasaBridge, *, works: bool) -> None:
        super().__init__(bridge)
        self.works = works

    def name(self) -> str:
        return "action_confirm_resolution" if self.works else "action_reopen_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> Events:
        opened = await self.bridge.open(tracker)
        try:
            parse, state = opened.parse, opened.conversation.state
            reference = (
                parse.entity("ticket")
                or parse.entity("ticket_number")
                or tracker.get_slot("ticket_number")
                or state.awaiting_resolution
            )
            language = opened.context.language
            replies = (
                await answer_resolution(
                    opened.context, normalise_reference(str(reference)), works=self.works
                )
                if reference
                else [Reply(text=t("ask_ticket_number", language))]
            )
        finally:
            await self.bridge.close(opened)
        utter(dispatcher, replies)
        return []


def served_actions(bridge: RasaBridge) -> list[RasaAction]:
    """Every rasa-sdk action Guichet serves: its actions, their forms' helpers, resolutions."""
    blank = bridge.blank_context()
    served: list[RasaAction] = []
    slot_names = {CONFIRM_SLOT}
    for name in bridge.actions.names():
        action = bridge.actions.get(name)
        served.append(GuichetAction(bridge, Served(f"action_{name}", name)))
        if needs_form(action, blank):
            served.append(ValidateForm(bridge, name))
        slot_names |= {slot.name for slot in action.slots(blank)}
    for item in bridge.services.knowledge.content.catalog:
        slot_names |= {field_slot(field).name for field in item.fields}
    served += [
        GuichetAction(
            bridge,
            Served("action_report_outage", "create_ticket", _outage_preset, "report_outage"),
        ),
        ResolutionAnswer(bridge, works=True),
        ResolutionAnswer(bridge, works=False),
        *(AskSlot(bridge, slot) for slot in sorted(slot_names)),
    ]
    return served
