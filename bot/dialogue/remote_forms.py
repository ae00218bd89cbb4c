"""Guichet's form logic when another dialogue manager drives the form (a Rasa assistant calling
Guichet's actions): which values to take, how to read an extracted value, what to ask, when to
run. The Rasa action server (connectors/rasa_actions) only turns these answers into its events.

The other manager holds the slots between calls; each call hands them over (`take_slots`) and
gets back the replies and the slot values to write back (`FormTurn`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actions.protocol import Action, ActionContext, Slot, SlotKind
from actions.tickets import answer_resolution, normalise_reference
from bot.dialogue import forms
from bot.dialogue.engine import OUTAGE_IMPACT, describes_a_problem, without_request
from bot.dialogue.form_runner import FormRunner
from bot.kernel.domain import DialogueState, Reply
from bot.kernel.messages import t
from bot.kernel.tickets import CATEGORIES, IMPACTS, URGENCIES
from nlu.entities import fold
from nlu.protocol import Entity, ParseResult

# The slot a form with a confirmation step fills with the user's yes or no.
CONFIRMED = "confirmed"

LABELLED: dict[SlotKind, tuple[str, tuple[str, ...]]] = {
    SlotKind.IMPACT: ("impact", IMPACTS),
    SlotKind.URGENCY: ("urgency", URGENCIES),
    SlotKind.CATEGORY: ("category", CATEGORIES),
}

# What an action fills in from the message that started it.
Preset = Callable[[ParseResult], dict[str, str]]


def ticket_preset(parse: ParseResult) -> dict[str, str]:
    return {"description": without_request(parse.text)} if describes_a_problem(parse.text) else {}


def outage_preset(parse: ParseResult) -> dict[str, str]:
    text = parse.text if parse.text and not parse.text.startswith("/") else ""
    return {"impact": OUTAGE_IMPACT, **({"description": text} if text else {})}


def password_preset(parse: ParseResult) -> dict[str, str]:
    return {"mode": "unlock" if parse.intent == "account_locked" else "reset"}


def comment_preset(parse: ParseResult) -> dict[str, str]:
    return {k: v for k in ("comment",) if (v := parse.entity(k))}


PRESETS: dict[str, Preset] = {
    "create_ticket": ticket_preset,
    "password_reset": password_preset,
    "add_comment": comment_preset,
}


def needs_form(action: Action, context: ActionContext) -> bool:
    return action.confirm or any(slot.required for slot in action.slots(context))


def take_slots(context: ActionContext, action: Action, slots: Mapping[str, Any]) -> None:
    """The manager's values of the action's slots replace Guichet's (None removes one)."""
    names = {slot.name for slot in action.slots(context)}
    for name in names:
        if name not in slots:
            continue
        if slots[name] is None:
            context.slots.pop(name, None)
        else:
            context.slots[name] = slots[name]
    # A catalog item chosen makes its own fields slots of the action.
    for name in {slot.name for slot in action.slots(context)} - names:
        if slots.get(name) is not None:
            context.slots[name] = slots[name]


def has_slot(action: Action, context: ActionContext, name: str) -> bool:
    return forms.slot_by_name(action, context, name) is not None


def required_slots(action: Action, context: ActionContext) -> list[str]:
    """The action's required slots now (a catalog item adds its fields), then the confirmation."""
    names = [slot.name for slot in action.slots(context) if slot.required]
    return [*names, CONFIRMED] if action.confirm else names


async def normalise(slot: Slot, value: Any, context: ActionContext) -> str | None:
    """Guichet's reading of a value the manager extracted for `slot`; None when invalid."""
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


@dataclass
class FormTurn:
    """The outcome of one call: what to say, the slot values to write back to the manager, and
    whether its form takes over to ask for what is missing."""

    replies: list[Reply] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    continue_form: bool = False


@dataclass(frozen=True)
class FormCall:
    """One call of an action by the manager."""

    action: Action
    context: ActionContext
    parse: ParseResult
    slots: Mapping[str, Any]  # the manager's slots
    submitting: bool  # the manager's form for this action is the one calling back
    has_form: bool  # the manager has a form for this action
    preset: Preset | None = None
    intent: str | None = None  # the intent to remember (it proposes the category)


async def form_turn(call: FormCall, state: DialogueState) -> FormTurn:
    """Start the action, or take the form's answers; ask for what is missing; else run it."""
    action, context = call.action, call.context
    turn = FormTurn()
    if not call.submitting:
        FormRunner.reset(state)
        state.active_action = action.name
        state.last_intent = call.intent or call.parse.intent
        take_slots(context, action, call.slots)
        preset = call.preset or PRESETS.get(action.name)
        for name, value in (preset(call.parse) if preset else {}).items():
            context.slots.setdefault(name, value)
        for slot in action.slots(context):
            given = forms.entity_value(slot, call.parse)
            if given is not None:
                context.slots[slot.name] = given
        turn.replies += await action.begin(context)
        if state.active_action is None:  # begin() ended it (an unknown account)
            FormRunner.reset(state)
            return turn
    else:
        state.active_action = action.name
        take_slots(context, action, call.slots)
    missing = forms.next_missing(action, context)
    unconfirmed = action.confirm and call.has_form and call.slots.get(CONFIRMED) is not True
    if missing is not None or unconfirmed:
        state.requested_slot = missing.name if missing else None
        turn.slots = dict(context.slots)
        if call.has_form:
            turn.continue_form = True
        else:
            assert missing is not None
            turn.replies.append(forms.question(missing, context.language))
        return turn
    names = {slot.name for slot in action.slots(context)} | {CONFIRMED}
    state.requested_slot = None
    turn.replies += await action.run(context)
    again = state.requested_slot
    if again is not None:  # the action asks again (a wrong code)
        turn.slots, turn.continue_form = {again: None}, call.has_form
        return turn
    FormRunner.reset(state)
    turn.slots = dict.fromkeys(names)
    return turn


async def validate(
    action: Action, context: ActionContext, extracted: Mapping[str, Any], required: list[str]
) -> FormTurn:
    """Guichet's normalisation of the values the manager's form extracted; a "no" to the
    confirmation asks again for everything `required` but what started the action."""
    turn = FormTurn()
    for name, value in extracted.items():
        if name == CONFIRMED and action.confirm:
            if value is False:
                turn.slots |= dict.fromkeys([CONFIRMED, *required[1:-1]])
                turn.replies.append(Reply(text=t("ask_what_to_change", context.language)))
            continue
        slot = forms.slot_by_name(action, context, name)
        if slot is None:
            continue
        turn.slots[name] = await normalise(slot, value, context)
        if turn.slots[name] is None:
            context.slots.pop(name, None)
        else:
            context.slots[name] = turn.slots[name]
    return turn


async def question(
    action: Action, context: ActionContext, slot_name: str, text: str
) -> list[Reply] | None:
    """The question for a slot of the action (the review and summary for the confirmation);
    None when the action has no such slot. `text` is the user's latest message."""
    language = context.language
    if slot_name == CONFIRMED:
        return [*await action.review(context), forms.confirmation(action, context, language)]
    slot = forms.slot_by_name(action, context, slot_name)
    if slot is None:
        return None
    buttons = None
    if slot.kind is SlotKind.CATALOG_ITEM and text and not text.startswith("/"):
        _, buttons = await forms.catalog_choice(context.knowledge, text, language)
    return [forms.question(slot, language, buttons=buttons)]


async def resolution(context: ActionContext, reference: str | None, *, works: bool) -> list[Reply]:
    """Close ("it works") or reopen the ticket; without a reference, ask for one."""
    if not reference:
        return [Reply(text=t("ask_ticket_number", context.language))]
    return await answer_resolution(context, normalise_reference(reference), works=works)
