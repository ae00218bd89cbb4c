"""The Rasa domain of the actions Guichet serves: slots and their mappings, forms, action names.

Rasa merges the files of a domain directory, so an assistant adds this one beside its own
(`guichet rasa actions-domain domain/guichet.yml`) and only writes the rules that call the
actions. Entity slots take the entity anywhere; while a form asks for a slot, the whole message
is a candidate too, which `validate_<form>` reads with Guichet's rules. Slots a form needs only
sometimes (a catalog item's own fields) have a custom mapping: `validate_<form>` fills them.
"""

from __future__ import annotations

from typing import Any

from actions.catalog import field_slot
from actions.protocol import Slot, SlotKind
from bot.dialogue.forms import ENTITY_SLOTS
from bot.dialogue.remote_forms import needs_form
from connectors.rasa_actions.actions import served_actions
from connectors.rasa_actions.bridge import RasaBridge
from connectors.rasa_actions.translate import CONFIRM_SLOT, form_name

DOMAIN_VERSION = "3.1"
FORM_INTENTS = ["affirm", "deny", "inform"]


def _entity(slot: Slot) -> str | None:
    if slot.kind in ENTITY_SLOTS:
        return ENTITY_SLOTS[slot.kind][0]
    return slot.name if slot.kind is SlotKind.CHOICE else None


class _Slots:
    def __init__(self) -> None:
        self.slots: dict[str, dict[str, Any]] = {}
        self.entities: set[str] = set()

    def add(self, slot: Slot, form: str) -> None:
        entry = self.slots.setdefault(
            slot.name, {"type": "text", "influence_conversation": False, "mappings": []}
        )
        if entry["mappings"] == [{"type": "custom"}]:
            entry["mappings"] = []
        mappings: list[dict[str, Any]] = entry["mappings"]
        entity = _entity(slot)
        if entity is not None and not any(m["type"] == "from_entity" for m in mappings):
            self.entities.add(entity)
            mappings.insert(0, {"type": "from_entity", "entity": entity})
        typed = next((m for m in mappings if m["type"] == "from_text"), None)
        if typed is None:
            typed = {"type": "from_text", "conditions": []}
            mappings.append(typed)
        condition = {"active_loop": form, "requested_slot": slot.name}
        if condition not in typed["conditions"]:
            typed["conditions"].append(condition)

    def custom(self, slot: Slot) -> None:
        """A slot the form requires only sometimes (a catalog item's field): Rasa wants every
        slot with a form condition in the form's list, so `validate_<form>` extracts it."""
        self.slots.setdefault(
            slot.name,
            {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]},
        )

    def confirmation(self, form: str) -> None:
        entry = self.slots.setdefault(
            CONFIRM_SLOT, {"type": "bool", "influence_conversation": False, "mappings": []}
        )
        condition = {"active_loop": form, "requested_slot": CONFIRM_SLOT}
        for intent, value in (("affirm", True), ("deny", False)):
            mapping = next((m for m in entry["mappings"] if m["intent"] == intent), None)
            if mapping is None:
                mapping = {"type": "from_intent", "intent": intent, "value": value}
                mapping["conditions"] = []
                entry["mappings"].append(mapping)
            mapping["conditions"].append(dict(condition))


def actions_domain(bridge: RasaBridge) -> dict[str, Any]:
    blank = bridge.blank_context()
    slots = _Slots()
    forms: dict[str, dict[str, list[str]]] = {}
    for name in bridge.actions.names():
        action = bridge.actions.get(name)
        if not needs_form(action, blank):
            continue
        form = form_name(name)
        required = [slot.name for slot in action.slots(blank) if slot.required]
        for slot in action.slots(blank):
            slots.add(slot, form)
            if slot.kind is SlotKind.CATALOG_ITEM:  # each item's own fields, once it is known
                for item in bridge.services.knowledge.content.catalog:
                    for field in item.fields:
                        slots.custom(field_slot(field))
        for slot in action.sometimes:  # asked in some conversations only (a device)
            slots.custom(slot)
        if action.confirm:
            slots.confirmation(form)
            required.append(CONFIRM_SLOT)
        forms[form] = {"required_slots": required}
    return {
        "version": DOMAIN_VERSION,
        "intents": FORM_INTENTS,
        "entities": sorted(slots.entities),
        "slots": dict(sorted(slots.slots.items())),
        "forms": forms,
        "actions": [action.name() for action in served_actions(bridge)],
    }
