"""The `IntentParser` plug-in point and the types it returns."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from bot.kernel.language import Language

FALLBACK_INTENT = "nlu_fallback"
# The intent is read from the start of a message; entities from all of it.
MAX_PARSE_CHARS = 2000


class Entity(BaseModel):
    entity: str
    value: str
    text: str
    start: int
    end: int
    extractor: str


class IntentScore(BaseModel):
    name: str
    confidence: float


class ParseResult(BaseModel):
    text: str
    intent: str
    confidence: float
    entities: list[Entity] = Field(default_factory=list)
    ranking: list[IntentScore] = Field(default_factory=list)
    language: str | None = Field(
        None, description="ISO 639-1 code of the message's language, when it was detected."
    )

    def entity(self, name: str) -> str | None:
        return next((e.value for e in self.entities if e.entity == name), None)

    def to_rasa(self) -> dict[str, Any]:
        """The body Rasa's `POST /model/parse` returns, plus `language`."""
        return {
            "text": self.text,
            "intent": {"name": self.intent, "confidence": self.confidence},
            "entities": [
                {
                    "entity": e.entity,
                    "start": e.start,
                    "end": e.end,
                    "value": e.value,
                    "extractor": e.extractor,
                }
                for e in self.entities
            ],
            "intent_ranking": [s.model_dump() for s in self.ranking],
            "language": self.language,
        }


class IntentParser(Protocol):
    """Reads one user message: the intent with a calibrated confidence, and the entities.

    When no intent is confident enough the result's intent is `nlu_fallback`, and the ranking
    still lists the candidates. `language` is a hint; parsers may ignore it. Any text, even
    empty or very long, gives a result; only an unreachable engine raises (`NluUnavailable`).
    """

    async def parse(self, text: str, *, language: Language) -> ParseResult: ...
