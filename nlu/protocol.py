"""The `IntentParser` plug-in point and the types it returns."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field

from bot.settings import Language

FALLBACK_INTENT = "nlu_fallback"


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

    def entity(self, name: str) -> str | None:
        return next((e.value for e in self.entities if e.entity == name), None)


class IntentParser(Protocol):
    """Reads one user message: the intent with a calibrated confidence, and the entities.

    When no intent is confident enough the result's intent is `nlu_fallback`, and the ranking
    still lists the candidates. `language` is a hint; parsers may ignore it.
    """

    async def parse(self, text: str, *, language: Language) -> ParseResult: ...
