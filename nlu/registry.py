"""The registry of intent engines, chosen by `GUICHET_NLU__ENGINE`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import anyio

from bot.registry import Registry
from bot.settings import Settings
from knowledge_index.embedders import Embedder
from nlu.data import TrainingData
from nlu.embedded import EmbeddedIntentParser, Progress, load_or_train
from nlu.protocol import IntentParser


@dataclass
class ParserContext:
    settings: Settings
    embedder: Embedder
    data: TrainingData
    progress: Progress | None = None


ParserFactory = Callable[[ParserContext], Awaitable[IntentParser]]
PARSERS: Registry[ParserFactory] = Registry("intent parser")


async def _embedded(context: ParserContext) -> IntentParser:
    model = await anyio.to_thread.run_sync(
        lambda: load_or_train(
            context.data, context.embedder, context.settings.model_dir, context.progress
        )
    )
    return EmbeddedIntentParser(
        model, context.embedder, context.data, context.settings.nlu.confidence_threshold
    )


PARSERS.register("embedded", _embedded)
