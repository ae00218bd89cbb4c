"""Filling an action's slots: reading a value from a message, and asking for the next one."""

from __future__ import annotations

import re

from actions.protocol import Action, ActionContext, Slot, SlotKind
from bot.kernel.domain import Button, Reply, payload
from bot.kernel.i18n import t
from bot.kernel.messages import SLOT_LABELS, SLOT_QUESTIONS
from bot.kernel.tickets import CATEGORIES, IMPACTS, URGENCIES
from knowledge_index.index import SearchQuery
from knowledge_index.service import KnowledgeBase
from nlu.entities import fold
from nlu.protocol import ParseResult

CATALOG_MATCH = 0.5
CATALOG_MARGIN = 0.04
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")

ENTITY_SLOTS: dict[SlotKind, tuple[str, tuple[str, ...] | None]] = {
    SlotKind.IMPACT: ("impact", IMPACTS),
    SlotKind.URGENCY: ("urgency", URGENCIES),
    SlotKind.CATEGORY: ("category", CATEGORIES),
    SlotKind.TICKET_NUMBER: ("ticket_number", None),
    SlotKind.CATALOG_ITEM: ("catalog_item", None),
}


def entity_value(slot: Slot, parse: ParseResult) -> str | None:
    """A value for a slot read from the parsed message, if it names a valid one."""
    if slot.kind is SlotKind.CODE:
        match = _CODE.search(parse.text)
        return match.group(1) if match else None
    if slot.kind is SlotKind.CHOICE:
        chosen = parse.entity(slot.name)
        values = {value for value, _ in slot.options}
        if chosen in values:
            return chosen
        typed = fold(parse.text).strip()
        for option, labels in slot.options:
            if typed and typed in {fold(option), *(fold(label) for label in labels.values())}:
                return option
        return None
    if slot.kind not in ENTITY_SLOTS:
        return None
    entity, allowed = ENTITY_SLOTS[slot.kind]
    value = parse.entity(entity)
    if value is None or (allowed is not None and value not in allowed):
        return None
    return value


async def catalog_choice(
    knowledge: KnowledgeBase, text: str, language: str
) -> tuple[str | None, list[Button]]:
    """The catalog item a message names, or buttons for the closest ones when unclear.

    Hits come in the order shown (the re-ranker's `relevance`), so `score` need not decrease:
    the first shown is named only when its score also clears every other hit's by the margin."""
    hits = await knowledge.search(
        SearchQuery(
            text,
            language,  # type: ignore[arg-type]
            limit=3,
            types=["catalog_item"],
        )
    )
    if not hits:
        return None, []
    best = hits[0]
    runner_up = max((h.score for h in hits[1:]), default=0.0)
    if best.score >= CATALOG_MATCH and best.score - runner_up >= CATALOG_MARGIN:
        return best.entry.group.removeprefix("catalog-"), []
    return None, [
        Button(
            title=h.entry.title,
            payload=payload("inform", catalog_item=h.entry.group.removeprefix("catalog-")),
        )
        for h in hits
    ]


def slot_buttons(slot: Slot, language: str) -> list[Button]:
    if slot.kind is SlotKind.CHOICE:
        return [
            Button(
                title=labels.get(language, value), payload=payload("inform", **{slot.name: value})
            )
            for value, labels in slot.options
        ]
    values: dict[SlotKind, tuple[str, ...]] = {
        SlotKind.IMPACT: IMPACTS,
        SlotKind.URGENCY: URGENCIES,
        SlotKind.CATEGORY: CATEGORIES,
    }
    if slot.kind not in values:
        return []
    name = slot.kind.value
    return [
        Button(
            title=t(SLOT_LABELS[name][value], language), payload=payload("inform", **{name: value})
        )
        for value in values[slot.kind]
    ]


def next_missing(action: Action, context: ActionContext) -> Slot | None:
    return next(
        (
            slot
            for slot in action.slots(context)
            if slot.required and not context.slots.get(slot.name)
        ),
        None,
    )


def slot_by_name(action: Action, context: ActionContext, name: str | None) -> Slot | None:
    return next((slot for slot in action.slots(context) if slot.name == name), None)


def question(
    slot: Slot, language: str, *, again: bool = False, buttons: list[Button] | None = None
) -> Reply:
    prefix = t("Sorry, I didn't get that. ", language) if again else ""
    text = (
        slot.label.get(language, slot.label["en"])
        if slot.label
        else t(SLOT_QUESTIONS[slot.name], language)
    )
    return Reply(
        text=prefix + text,
        buttons=buttons if buttons is not None else slot_buttons(slot, language),
    )


def confirmation(action: Action, context: ActionContext, language: str) -> Reply:
    buttons = [
        Button(title=t("Yes", language), payload="/affirm"),
        Button(title=t("Change something", language), payload="/deny"),
    ]
    return Reply(
        text=t("{summary}\nShall I go ahead?", language, summary=action.summary(context)),
        buttons=buttons,
    )


def change_buttons(action: Action, context: ActionContext, language: str) -> list[Button]:
    return [
        Button(
            title=slot.label.get(language, slot.name)
            if slot.label
            else t(SLOT_QUESTIONS[slot.name], language),
            payload=payload("change", slot=slot.name),
        )
        for slot in action.slots(context)
        if not slot.secret
    ]
