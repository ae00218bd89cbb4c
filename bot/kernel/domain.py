"""Guichet's own conversation types, shared by the engine, the store and every channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from bot.kernel.language import Language

Role = Literal["user", "bot", "agent"]


def payload(intent: str, **entities: str) -> str:
    """A button's payload in Rasa's form: `/intent` or `/intent{"entity": "value"}`."""
    return f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Button(BaseModel):
    """A choice offered to the user; `payload` is sent back as the user's next message."""

    title: str
    payload: str


class Link(BaseModel):
    title: str
    url: str


class Reply(BaseModel):
    text: str
    buttons: list[Button] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    sender: str | None = Field(None, description="the agent's name when an agent wrote it")


class Turn(BaseModel):
    role: Role
    text: str
    at: datetime = Field(default_factory=utcnow)
    language: Language | None = None
    buttons: list[Button] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    sender: str | None = None  # an agent's turn: the name the user sees


def bot_turns(replies: list[Reply], language: Language) -> list[Turn]:
    """The transcript turns of the bot's replies."""
    return [
        Turn(role="bot", text=r.text, language=language, buttons=r.buttons, links=r.links)
        for r in replies
    ]


class DialogueState(BaseModel):
    """What the engine remembers between turns."""

    active_action: str | None = None
    requested_slot: str | None = None
    awaiting_confirmation: bool = False
    slots: dict[str, Any] = Field(default_factory=dict)
    last_problem: str | None = None
    last_intent: str | None = None
    offered_articles: list[str] = Field(default_factory=list)
    awaiting_feedback: bool = False
    consecutive_failures: int = 0
    slot_retries: int = 0
    handed_off: bool = False
    awaiting_resolution: str | None = None  # a ticket the user was asked "does it work now?"
    awaiting_rejection: str | None = None  # a request the approver rejects: the reason comes next
    agent: str | None = None  # the agent who took the conversation over: the bot is silent
    timezone: str | None = None  # the user's IANA zone, as their channel knows it
    # The language the user's interface last asked for (the widget's setting): a choice only
    # when it changes, so that a language the user wrote in since is kept.
    interface_language: str | None = None


class Conversation(BaseModel):
    id: str
    channel: str
    user_id: str
    language: Language
    language_locked: bool = False
    state: DialogueState = Field(default_factory=DialogueState)
    transcript: list[Turn] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
