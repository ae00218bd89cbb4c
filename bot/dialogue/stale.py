"""Buttons of an earlier step pressed late: "Yes" after the form moved on, an item of an old list.

Chat history keeps old buttons clickable (and Slack or Teams cannot take them back). Their
payload then answers a question that is no longer asked: it is read in context rather than
as a new message the bot "did not understand".
"""

from __future__ import annotations

from bot.kernel.domain import DialogueState
from nlu.protocol import ParseResult

# Payloads that only mean something as the answer to a question.
ANSWERS = frozenset({"affirm", "deny", "inform", "change", "resend_code"})
# Slots whose old choice can simply be made again: an item of the catalog.
REDOABLE = {"catalog_item": "order_item"}


def stale(state: DialogueState, parse: ParseResult, slot_names: set[str]) -> bool:
    """Whether a button's payload answers a question that is not pending any more.

    `slot_names` are the slots of the action in progress (empty when none is).
    """
    if not parse.text.startswith("/") or parse.intent not in ANSWERS:
        return False
    if parse.intent in {"affirm", "deny"}:
        pending = state.active_action or state.awaiting_feedback or state.awaiting_resolution
        return not pending
    if parse.intent == "resend_code":
        return state.active_action != "password_reset"
    if state.active_action is None:
        return True
    if parse.intent == "change":
        return (parse.entity("slot") or "") not in slot_names
    named = {entity.entity for entity in parse.entities}
    return bool(named) and not named & slot_names


def redo(state: DialogueState, parse: ParseResult) -> str | None:
    """The action to start again when the old choice still makes sense on its own."""
    if parse.intent != "inform" or state.active_action is not None:
        return None
    for entity in parse.entities:
        if entity.entity in REDOABLE:
            return REDOABLE[entity.entity]
    return None
