"""A transcript as a person reads it: a button's payload (`/affirm`,
`/inform{"catalog_item": "monitor-24"}`) shown as the button the user pressed ("Yes"), found
among the buttons of the bot's messages before it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

from bot.kernel.domain import Turn
from bot.kernel.i18n import t
from bot.kernel.messages import PAYLOAD_INTENTS

# How an entity's value is named to a person: ("catalog_item", "monitor-24") -> "24" monitor".
Naming = Callable[[str, str], str]

# What the user said that is about nothing in particular: never "the problem".
CONVERSATIONAL_INTENTS = frozenset(
    {
        "greet", "goodbye", "thank", "affirm", "deny", "inform", "cancel", "help",
        "bot_challenge", "human_handoff", "out_of_scope", "incident_status",
    }
)  # fmt: skip
HIDDEN_MARK = "••"


def is_payload(text: str) -> bool:
    return text.startswith("/") and len(text) > 1 and not text[1].isspace()


def _as_is(entity: str, value: str) -> str:
    return value


def described(payload: str, language: str = "en", name: Naming = _as_is) -> str:
    """A payload no button offered (a suggestion, a link), in words, in `language`:
    `/order_equipment{"catalog_item": "monitor-24"}` is "Order equipment: monitor-24", or
    "Commander du matériel : Écran 24 pouces" with a `name` that knows the catalog."""
    intent, _, entities = payload[1:].partition("{")
    intent = intent.strip()
    words = (
        t(PAYLOAD_INTENTS[intent], language)
        if intent in PAYLOAD_INTENTS
        else intent.replace("_", " ")
    )
    try:
        values = json.loads("{" + entities) if entities else {}
    except ValueError:
        values = {}
    shown = (
        ", ".join(name(str(k), str(v)) for k, v in values.items())
        if isinstance(values, dict)
        else ""
    )
    return t("{label}: {value}", language, label=words, value=shown) if shown else words


def pressed(turns: Sequence[Turn], language: str = "en", name: Naming = _as_is) -> list[str | None]:
    """For each turn, what the user chose when they sent a payload, or None: the title of the
    nearest earlier bot or agent message's button that sent it, else the payload in words
    (`described`, in `language`, entity values named by `name`)."""
    offered: dict[str, str] = {}
    titles: list[str | None] = []
    for turn in turns:
        if turn.role == "user" and is_payload(turn.text):
            titles.append(offered.get(turn.text) or described(turn.text, language, name))
        else:
            titles.append(None)
        if turn.role != "user":
            offered.update({button.payload: button.title for button in turn.buttons})
    return titles


def problem_statement(turns: Sequence[Turn]) -> str | None:
    """The first thing the user wrote about their problem: typed (not a button), not hidden
    (a one-time code), not small talk nor a request for a human."""
    for turn in turns:
        if turn.role != "user" or is_payload(turn.text) or HIDDEN_MARK in turn.text:
            continue
        if turn.intent in CONVERSATIONAL_INTENTS or len(turn.text.split()) < 2:
            continue
        return turn.text
    return None
