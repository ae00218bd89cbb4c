"""Guichet's types to what the widget shows, and back."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.api.schemas import MAX_MESSAGE_CHARS
from bot.kernel.domain import Button, Conversation, Link, Reply, Role, Turn
from bot.kernel.formats import MAX_ZONE_NAME, is_zone
from bot.kernel.language import Language
from connectors.web.push import Pushed
from knowledge_index.suggest import Suggestion, Suggestions

# What a visitor without the portal's token may see: the knowledge base, nothing that acts.
KNOWLEDGE_TYPES = {
    "incident_notice",
    "maintenance_notice",
    "catalog_item",
    "procedure",
    "faq",
    "known_error",
}


class WidgetTurn(BaseModel):
    role: Role
    text: str
    at: datetime
    buttons: list[Button] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    sender: str | None = Field(None, description="the agent's name, on an agent's turn")


class WidgetConversation(BaseModel):
    id: str
    language: Language
    transcript: list[WidgetTurn]
    cursor: str = Field(description="read the event stream from here for what comes next")


class NewWidgetConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language | None = Field(None, description="the page's language or the user's choice")


class WidgetMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    language: Language | None = Field(None, description="switch and fix the reply language")
    timezone: str | None = Field(
        None,
        max_length=MAX_ZONE_NAME,
        description="the browser's IANA time zone (Europe/Paris): times are shown in it",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None and not is_zone(value):
            raise ValueError(f"an IANA time zone name such as 'Europe/Paris'; got {value!r}")
        return value


class WidgetReplies(BaseModel):
    conversation_id: str
    language: Language
    replies: list[Reply]


class WidgetEvent(BaseModel):
    kind: Literal["message"] = "message"
    conversation_id: str | None
    replies: list[Reply]


def to_turn(turn: Turn) -> WidgetTurn:
    return WidgetTurn(
        role=turn.role,
        text=turn.text,
        at=turn.at,
        buttons=turn.buttons,
        links=turn.links,
        sender=turn.sender,
    )


def to_conversation(conversation: Conversation, cursor: str) -> WidgetConversation:
    return WidgetConversation(
        id=conversation.id,
        language=conversation.language,
        transcript=[to_turn(turn) for turn in conversation.transcript],
        cursor=cursor,
    )


def for_visitor(suggestion: Suggestion) -> Suggestion | None:
    """Knowledge-base entries as they are; an action only as the page that does it."""
    if suggestion.type in KNOWLEDGE_TYPES:
        return suggestion
    if suggestion.type == "action" and suggestion.url:
        return suggestion.model_copy(update={"action": None})
    return None


def to_widget_suggestions(suggestions: Suggestions, *, signed_in: bool) -> Suggestions:
    if signed_in:
        return suggestions
    kept = [s for s in map(for_visitor, suggestions.suggestions) if s is not None]
    return suggestions.model_copy(update={"suggestions": kept})


def to_event(event: Pushed) -> WidgetEvent:
    return WidgetEvent(conversation_id=event.conversation_id, replies=event.replies)
