"""Rasa's REST channel format to Guichet's types and back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bot.api.schemas import MAX_MESSAGE_CHARS
from bot.channels.locale import supported_language
from bot.kernel.domain import Reply
from bot.kernel.language import Language

CHANNEL = "rest"


class RestMessage(BaseModel):
    """What Rasa's REST channel accepts: `{"sender": ..., "message": ...}`."""

    model_config = ConfigDict(extra="allow")

    sender: str = Field(min_length=1, max_length=255)
    message: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    metadata: dict[str, Any] | None = None


def language_hint(message: RestMessage) -> Language | None:
    """The client's language from `metadata.language` or `metadata.locale` ("fr", "fr-FR"),
    as Rasa chat widgets send it: the conversation speaks it until the user writes text."""
    metadata = message.metadata or {}
    locale = metadata.get("language") or metadata.get("locale")
    if not isinstance(locale, str):
        return None
    return supported_language(locale)


class RestButton(BaseModel):
    title: str
    payload: str


class RestReply(BaseModel):
    recipient_id: str
    text: str
    buttons: list[RestButton] | None = None


def to_rest(recipient: str, reply: Reply) -> RestReply:
    """Links have no field in Rasa's format: they are appended to the text, one per line."""
    text = "\n".join([reply.text, *(f"{link.title}: {link.url}" for link in reply.links)])
    buttons = [RestButton(title=b.title, payload=b.payload) for b in reply.buttons]
    return RestReply(recipient_id=recipient, text=text, buttons=buttons or None)
