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

from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action as RasaAction
from rasa_sdk import ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalog import field_slot
from actions.protocol import Action, ActionContext
from bot.dialogue import remote_forms
from bot.dialogue.remote_forms import FormCall, FormTurn, Preset, needs_form, outage_preset
from bot.kernel.domain import Reply
from bot.kernel.registry import UnknownPlugin
from connectors.rasa_actions.bridge import Opened, RasaBridge
from connectors.rasa_actions.translate import CONFIRM_SLOT, REQUESTED_SLOT, form_name, to_message

Events = list[dict[str, Any]]
Domain = dict[str, Any]


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


def turn_events(turn: FormTurn, tracker: Tracker, domain: Domain, form: str) -> Events:
    """The tracker's slot changes for a form turn, and the hand-over to the Rasa form."""
    events = slot_changes(tracker, domain, turn.slots)
    return [*events, FollowupAction(form)] if turn.continue_form else events


class BridgedAction(RasaAction):  # type: ignore[misc]
    def __init__(self, bridge: RasaBridge) -> None:
        self.bridge = bridge

    def guichet(self, name: str) -> Action:
        try:
            return self.bridge.actions.get(name)
        except UnknownPlugin as error:
            raise ActionExecutionRejection(self.name(), error.describe()) from error


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
        form = form_name(action.name)
        call = FormCall(
            action=action,
            context=opened.context,
            parse=opened.parse,
            slots=tracker.slots,
            submitting=form in {tracker.latest_action_name, tracker.active_loop_name},
            has_form=has_form(domain, action.name),
            preset=self.served.preset,
            intent=self.served.intent,
        )
        turn = await remote_forms.form_turn(call, opened.conversation.state)
        return turn.replies, turn_events(turn, tracker, domain, form)


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
        remote_forms.take_slots(context, action, tracker.slots)
        return action, context

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: Domain,
    ) -> list[str]:
        """The action's required slots now (a catalog item adds its fields), then `confirmed`."""
        return remote_forms.required_slots(*self._context(tracker))

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Domain
    ) -> Events:
        """The answer to a slot the domain's form does not list (a catalog item's field):
        its entity in the message, or the message. Rasa's mappings extract the others."""
        requested = tracker.get_slot(REQUESTED_SLOT)
        if not requested or requested in self.domain_slots(domain):
            return []
        action, context = self._context(tracker)
        if not remote_forms.has_slot(action, context, requested):
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
        remote_forms.take_slots(context, action, tracker.slots)
        required = await self.required_slots([], dispatcher, tracker, domain)
        turn = await remote_forms.validate(action, context, tracker.slots_to_validate(), required)
        utter(dispatcher, turn.replies)
        await self.bridge.close(opened)
        tracker.slots.update(turn.slots)
        return [SlotSet(name, value) for name, value in turn.slots.items()]


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
            remote_forms.take_slots(context, action, tracker.slots)
            replies = await remote_forms.question(action, context, self.slot, opened.parse.text)
        finally:
            await self.bridge.close(opened)
        if replies is None:
            raise ActionExecutionRejection(self.name(), f"{action.name} has no slot {self.slot!r}")
        utter(dispatcher, replies)
        return []


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
            replies = await remote_forms.resolution(
                opened.context, str(reference) if reference else None, works=self.works
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
        slot_names |= {slot.name for slot in (*action.slots(blank), *action.sometimes)}
    for item in bridge.services.knowledge.content.catalog:
        slot_names |= {field_slot(field).name for field in item.fields}
    served += [
        GuichetAction(
            bridge,
            Served("action_report_outage", "create_ticket", outage_preset, "report_outage"),
        ),
        ResolutionAnswer(bridge, works=True),
        ResolutionAnswer(bridge, works=False),
        *(AskSlot(bridge, slot) for slot in sorted(slot_names)),
    ]
    return served
