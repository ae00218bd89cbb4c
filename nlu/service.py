"""One message through the NLU, as the parse API answers it: intent, entities and language."""

from __future__ import annotations

import anyio

from bot.kernel.language import Language
from nlu.language import LanguageDetector
from nlu.protocol import IntentParser, IntentScore, ParseResult

OUT_OF_SCOPE = "out_of_scope"


async def understand(
    parser: IntentParser,
    languages: LanguageDetector,
    text: str,
    *,
    language: Language | None = None,
) -> ParseResult:
    """Parse `text` and report its language.

    A message written in another language (Spanish, German...) is reported with that
    language and is out of scope, with the language detector's confidence; `language`, when
    given, is the caller's word for the language of the conversation and is trusted.
    """
    foreign = None
    if language is None and text.strip():
        foreign = await anyio.to_thread.run_sync(languages.foreign, text)
        if foreign is None:
            language = (await anyio.to_thread.run_sync(languages.detect, text)).language
    result = await parser.parse(text, language=language or "en")
    if foreign is not None:
        code, confidence = foreign
        ranking = [IntentScore(name=OUT_OF_SCOPE, confidence=confidence), *result.ranking]
        return result.model_copy(
            update={
                "intent": OUT_OF_SCOPE,
                "confidence": confidence,
                "ranking": ranking[:10],
                "language": code,
            }
        )
    return result.model_copy(update={"language": language})
