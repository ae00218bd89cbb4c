"""The `rasa` intent engine: a real Rasa server, queried over its HTTP API (`/model/parse`)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.kernel.errors import NotReady
from bot.kernel.language import Language
from nlu.protocol import FALLBACK_INTENT, MAX_PARSE_CHARS, Entity, IntentScore, ParseResult


class NluUnavailable(NotReady):
    def __init__(self, *, url: str, reason: str) -> None:
        super().__init__(
            component="rasa intent engine",
            reason=f"{url}: {reason}; start it with `guichet rasa serve`",
        )


def from_rasa(text: str, body: dict[str, Any]) -> ParseResult:
    """Translate Rasa's `/model/parse` body into Guichet's `ParseResult`."""
    intent = body.get("intent") or {}
    entities = []
    for item in body.get("entities") or []:
        start, end = int(item.get("start", 0)), int(item.get("end", 0))
        entities.append(
            Entity(
                entity=str(item["entity"]),
                value=str(item.get("value", text[start:end])),
                text=text[start:end],
                start=start,
                end=end,
                extractor=str(item.get("extractor", "rasa")),
            )
        )
    ranking = [
        IntentScore(name=str(s["name"]), confidence=float(s.get("confidence", 0.0)))
        for s in body.get("intent_ranking") or []
        if s.get("name") != FALLBACK_INTENT
    ]
    return ParseResult(
        text=text,
        intent=str(intent.get("name") or FALLBACK_INTENT),
        confidence=float(intent.get("confidence") or 0.0),
        entities=entities,
        ranking=ranking,
    )


class RasaIntentParser:
    """Sends each message to `POST {url}/model/parse`; the model is Rasa's own."""

    name = "rasa"

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client = client
        self._url = url.rstrip("/")

    async def status(self) -> dict[str, Any]:
        try:
            response = await self._client.get(f"{self._url}/status")
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise NluUnavailable(url=self._url, reason=str(exc) or type(exc).__name__) from exc
        body: dict[str, Any] = response.json()
        return body

    async def parse(self, text: str, *, language: Language) -> ParseResult:
        if not text.strip():
            return ParseResult(text=text, intent=FALLBACK_INTENT, confidence=0.0)
        clipped = text[:MAX_PARSE_CHARS]
        try:
            response = await self._client.post(f"{self._url}/model/parse", json={"text": clipped})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise NluUnavailable(url=self._url, reason=str(exc) or type(exc).__name__) from exc
        result = from_rasa(clipped, response.json())
        return result.model_copy(update={"text": text})

    async def aclose(self) -> None:
        await self._client.aclose()
