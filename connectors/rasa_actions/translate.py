"""Rasa's action-server payloads and tracker to Guichet's types, and Guichet's replies back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.dialogue.remote_forms import CONFIRMED
from bot.kernel.domain import Reply, Turn
from bot.kernel.language import Language
from nlu.protocol import ParseResult
from nlu.rasa_parser import from_rasa

CHANNEL = "rasa"
FORM_SUFFIX = "_form"
CONFIRM_SLOT = CONFIRMED
LANGUAGE_SLOT = "language"
REQUESTED_SLOT = "requested_slot"
HIDDEN = "••••••"
LANGUAGES: tuple[str, ...] = get_args(Language)


class TrackerEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    event: str = Field(min_length=1)


class TrackerState(BaseModel):
    """The part of Rasa's tracker state Guichet relies on; Rasa sends more, kept as is."""

    model_config = ConfigDict(extra="allow")

    sender_id: str = Field(min_length=1, max_length=255)
    slots: dict[str, Any] = Field(default_factory=dict)
    latest_message: dict[str, Any] | None = None
    events: list[TrackerEvent] = Field(default_factory=list)
    active_loop: dict[str, Any] | None = None


class SlotMapping(BaseModel):
    model_config = ConfigDict(extra="allow")

    conditions: list[dict[str, Any]] = Field(default_factory=list)


class DomainSlot(BaseModel):
    model_config = ConfigDict(extra="allow")

    mappings: list[SlotMapping] = Field(default_factory=list)


class DomainForm(BaseModel):
    model_config = ConfigDict(extra="allow")

    required_slots: list[str] = Field(default_factory=list)


class RasaDomain(BaseModel):
    """The part of the domain rasa-sdk's forms and Guichet's actions read, which they read
    without checking: an empty domain, or slots that are a list, made them raise (a 500).
    Rasa's `Domain.as_dict()` always has `slots`; the rest is kept as is."""

    model_config = ConfigDict(extra="allow")

    slots: dict[str, DomainSlot]
    forms: dict[str, DomainForm] = Field(default_factory=dict)


class ActionCall(BaseModel):
    """What Rasa POSTs to the action server: `{"next_action", "sender_id", "tracker", ...}`."""

    model_config = ConfigDict(extra="allow")

    next_action: str = Field(min_length=1, max_length=200)
    sender_id: str | None = None
    tracker: TrackerState
    domain: RasaDomain | None = None
    domain_digest: str | None = None
    version: str | None = None


def problem(error: ValidationError) -> str:
    """'tracker.sender_id: Field required' for each thing wrong with a call, in one line."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors()
    )


def error_body(message: str, action_name: str | None) -> dict[str, Any]:
    """The body rasa-sdk's endpoint answers with a 400 or a 404, which Rasa reads."""
    return {"error": message, "action_name": action_name}


def form_name(action: str) -> str:
    return f"{action}{FORM_SUFFIX}"


def latest_parse(latest_message: dict[str, Any] | None) -> ParseResult:
    """Rasa's parse of the user's last message as Guichet's `ParseResult`."""
    message = latest_message or {}
    return from_rasa(str(message.get("text") or ""), message)


def stated_language(slots: dict[str, Any], latest_message: dict[str, Any] | None) -> str | None:
    """The language the assistant says the user speaks: message metadata, then the slot."""
    metadata = (latest_message or {}).get("metadata") or {}
    for value in (metadata.get("language"), slots.get(LANGUAGE_SLOT)):
        if isinstance(value, str) and value.lower()[:2] in LANGUAGES:
            return value.lower()[:2]
    return None


def turns_after(
    events: list[dict[str, Any]], after: datetime | None, secret_slots: frozenset[str]
) -> list[Turn]:
    """The user's and the bot's messages of the tracker later than `after`, as turns.

    What the user types while the form asks for a secret slot (a one-time code) is hidden.
    """
    turns: list[Turn] = []
    requested: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == REQUESTED_SLOT:
            requested = event.get("value")
        if kind not in {"user", "bot"} or not event.get("text"):
            continue
        at = datetime.fromtimestamp(float(event.get("timestamp") or 0.0), UTC)
        if after is not None and at <= after:
            continue
        if kind == "bot":
            turns.append(Turn(role="bot", text=str(event["text"]), at=at))
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = HIDDEN if requested in secret_slots else str(event["text"])
        turns.append(Turn(role="user", text=text, at=at, intent=intent))
    return turns


def to_message(reply: Reply) -> dict[str, Any]:
    """Arguments of `CollectingDispatcher.utter_message`. Rasa's messages have no links:
    they are appended to the text, one per line, like on Rasa's REST channel."""
    text = "\n".join([reply.text, *(f"{link.title}: {link.url}" for link in reply.links)])
    buttons = [{"title": b.title, "payload": b.payload} for b in reply.buttons]
    return {"text": text, "buttons": buttons or None}
