"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from bot.kernel.domain import Reply, Turn
from bot.kernel.language import Language

MAX_MESSAGE_CHARS = 4000
# A row id in a path: the database's INTEGER (32 bits in PostgreSQL). A larger one is a 422
# naming the parameter, not a driver error and a 500 (found by the schemathesis fuzzing).
RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema with its `$defs` inlined, for a request body given in
    `openapi_extra`: there a `#/$defs/...` reference would point at the root of the OpenAPI
    document, and clients and the fuzzing could not resolve it."""
    schema = model.model_json_schema()
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any, expanding: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [inline(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        reference = node.get("$ref")
        if isinstance(reference, str) and reference.startswith("#/$defs/"):
            name = reference.removeprefix("#/$defs/")
            if name in expanding:  # a recursive model: any object from here on
                return {"type": "object"}
            rest = {key: value for key, value in node.items() if key != "$ref"}
            return inline({**definitions[name], **rest}, expanding | {name})
        return {key: inline(value, expanding) for key, value in node.items()}

    inlined: dict[str, Any] = inline(schema, frozenset())
    return inlined


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user: str = Field(min_length=1, max_length=255, description="The employee's id or e-mail.")
    channel: str = Field("api", min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    language: Language | None = Field(
        None, description="Fix the reply language; detected from each message when absent."
    )


class ConversationOut(BaseModel):
    id: str
    channel: str
    user: str
    language: Language
    language_locked: bool
    created_at: datetime
    updated_at: datetime


class ConversationDetail(ConversationOut):
    transcript: list[Turn]


class NewMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)
    language: Language | None = Field(None, description="Switch and fix the reply language.")


class MessageOut(BaseModel):
    conversation_id: str
    language: Language
    replies: list[Reply]
