"""`POST /api/v1/nlu/parse`: what Guichet understands of one message, in Rasa's format.

For agents and integrations (an agent token): it shows the model's inner workings.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.api.deps import ServicesDep
from bot.auth import AgentUser
from bot.kernel.language import Language
from nlu.service import understand

MAX_PARSE_TEXT = 20_000

router = APIRouter(prefix="/api/v1/nlu", tags=["nlu"])


class ParseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_PARSE_TEXT, description="Any text; empty is allowed.")
    language: Language | None = Field(
        None, description="The conversation's language, if known; detected when absent."
    )


class IntentOut(BaseModel):
    name: str
    confidence: float


class EntityOut(BaseModel):
    entity: str
    start: int
    end: int
    value: str
    extractor: str


class ParseResponse(BaseModel):
    """Rasa's `POST /model/parse` body, plus the message's `language` (ISO 639-1)."""

    text: str
    intent: IntentOut
    entities: list[EntityOut]
    intent_ranking: list[IntentOut]
    language: str | None


@router.post("/parse", response_model=ParseResponse)
async def parse(body: ParseRequest, services: ServicesDep, _agent: AgentUser) -> dict[str, Any]:
    components = services.components
    result = await understand(
        components.parser, components.languages, body.text, language=body.language
    )
    return result.to_rasa()
