"""The default intent engine: multilingual sentence embeddings and a logistic-regression head."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
import joblib
import numpy as np
from sklearn.linear_model import LogisticRegression

from bot.settings import Language
from knowledge_index.embedders import Embedder
from nlu.data import TrainingData
from nlu.entities import GazetteerExtractor
from nlu.protocol import FALLBACK_INTENT, IntentScore, ParseResult

Progress = Callable[[int, int], None]
MODEL_FILE = "nlu-embedded.joblib"


@dataclass
class IntentModel:
    fingerprint: str
    embedder: str
    labels: list[str]
    classifier: LogisticRegression


def train_intent_model(
    data: TrainingData, embedder: Embedder, progress: Progress | None = None, batch: int = 128
) -> IntentModel:
    texts = [example.text for example in data.examples]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in range(0, len(texts), batch):
        vectors[start : start + batch] = embedder.embed(texts[start : start + batch])
        if progress:
            progress(min(start + batch, len(texts)), len(texts))
    labels = [example.intent for example in data.examples]
    classifier = LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")
    classifier.fit(vectors, labels)
    return IntentModel(
        fingerprint=data.fingerprint,
        embedder=embedder.name,
        labels=[str(c) for c in classifier.classes_],
        classifier=classifier,
    )


def load_or_train(
    data: TrainingData,
    embedder: Embedder,
    model_dir: Path,
    progress: Progress | None = None,
    force: bool = False,
) -> IntentModel:
    """Reuse the saved model when the data and embedder are unchanged, else retrain and save."""
    path = model_dir / MODEL_FILE
    if path.exists() and not force:
        model: IntentModel = joblib.load(path)
        if (model.fingerprint, model.embedder) == (data.fingerprint, embedder.name):
            return model
    model = train_intent_model(data, embedder, progress)
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    joblib.dump(model, staging)
    staging.replace(path)
    return model


class EmbeddedIntentParser:
    name = "embedded"

    def __init__(
        self, model: IntentModel, embedder: Embedder, data: TrainingData, threshold: float
    ) -> None:
        self._model = model
        self._embedder = embedder
        self._entities = GazetteerExtractor(data)
        self._threshold = threshold

    async def parse(self, text: str, *, language: Language) -> ParseResult:
        vector = await anyio.to_thread.run_sync(self._embedder.embed, [text])
        probabilities = self._model.classifier.predict_proba(vector)[0]
        order = np.argsort(probabilities)[::-1]
        ranking = [
            IntentScore(name=self._model.labels[i], confidence=float(probabilities[i]))
            for i in order[:10]
        ]
        best = ranking[0]
        intent = best.name if best.confidence >= self._threshold else FALLBACK_INTENT
        return ParseResult(
            text=text,
            intent=intent,
            confidence=best.confidence,
            entities=self._entities.extract(text),
            ranking=ranking,
        )
