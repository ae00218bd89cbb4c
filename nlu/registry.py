"""The registry of intent engines, chosen by `GUICHET_NLU__ENGINE`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

import anyio
import httpx

from bot.kernel.errors import NotReady
from bot.kernel.registry import Registry
from bot.settings import Settings
from knowledge_index.embedders import Embedder
from nlu.data import TrainingData
from nlu.embedded import EmbeddedIntentParser, Progress, load_or_train
from nlu.protocol import IntentParser
from nlu.rasa_parser import RasaIntentParser
from nlu.validation import check_training_data

logger = logging.getLogger(__name__)


@dataclass
class ParserContext:
    settings: Settings
    embedder: Embedder
    data: TrainingData
    progress: Progress | None = None
    force: bool = False


ParserFactory = Callable[[ParserContext], Awaitable[IntentParser]]
PARSERS: Registry[ParserFactory] = Registry("intent parser")


async def _embedded(context: ParserContext) -> IntentParser:
    """Trains at start-up when the data changed (its fingerprint), after checking it."""
    settings = context.settings
    model = await anyio.to_thread.run_sync(
        lambda: load_or_train(
            context.data,
            context.embedder,
            settings.model_dir,
            context.progress,
            force=context.force,
            check=partial(check_training_data, min_examples=settings.nlu.min_examples),
        )
    )
    return EmbeddedIntentParser(
        model, context.embedder, context.data, settings.nlu.confidence_threshold
    )


async def _rasa(context: ParserContext) -> IntentParser:
    """A Rasa server started apart (`guichet rasa serve`); a warning if it is not up yet."""
    url = context.settings.nlu.rasa_url
    client = httpx.AsyncClient(timeout=context.settings.nlu.rasa_timeout_seconds)
    parser = RasaIntentParser(client, url)
    try:
        status = await parser.status()
        logger.info("rasa server at %s serves %s", url, status.get("model_file"))
    except NotReady as exc:
        logger.warning("%s", exc)
    return parser


PARSERS.register("embedded", _embedded)
PARSERS.register("rasa", _rasa)
