"""The default intent engine: sentence embeddings and character n-grams, a calibrated linear head.

Features are the multilingual sentence embedding (meaning, across languages) beside TF-IDF
character n-grams of the accent-folded text (typos, product names, franglais) and, at half
weight, its words and word pairs (the keywords that carry terse ticket subjects such as
"shared mailbox access" or "printer th floor"). A logistic
regression reads them; its scores are calibrated by temperature scaling fitted on
cross-validated predictions, so that a confidence of 0.8 is right about 80% of the time and
the fallback threshold means what it says. The entity tagger is trained in the same pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import joblib
import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion

from bot.kernel.language import Language
from knowledge_index.embedders import Embedder, Vectors
from nlu.crf import CrfTagger
from nlu.data import TrainingData
from nlu.entities import EntityExtractor
from nlu.features import linear_scores, one_text, union_transform
from nlu.protocol import FALLBACK_INTENT, MAX_PARSE_CHARS, IntentScore, ParseResult
from nlu.text import fold

Progress = Callable[[int, int], None]
MODEL_FILE = "nlu-embedded.joblib"
MODEL_VERSION = 3  # bump when IntentModel changes shape: older files are retrained
# Both chosen on the tune split of nlu/eval_real (real tickets), checked on nlu/eval.
REGULARISATION = 64.0
WORD_WEIGHT = 0.5  # of word features beside character n-grams
CALIBRATION_FOLDS = 4
Matrix: TypeAlias = Any  # scipy.sparse.csr_matrix; scipy ships no type hints


@dataclass
class IntentModel:
    fingerprint: str
    embedder: str
    labels: list[str]
    classifier: LogisticRegression
    ngrams: FeatureUnion
    temperature: float
    tagger: CrfTagger
    version: int = MODEL_VERSION

    def features(self, vectors: Vectors, texts: list[str]) -> Matrix:
        return _features(vectors, union_transform(self.ngrams, texts))

    def features_of_one(self, vector: Vectors, text: str) -> Matrix:
        """`features(vector, [text])` for one message (`vector` its embedding's one row)."""
        return one_text(self.ngrams, text, first=vector)

    def probabilities(self, features: Matrix) -> npt.NDArray[np.float64]:
        return _softmax(linear_scores(self.classifier, features) / self.temperature)


def _ngram_vectorizer() -> FeatureUnion:
    characters = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2, preprocessor=fold
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        preprocessor=fold,
        token_pattern=r"(?u)\b\w+\b",
    )
    return FeatureUnion(
        [("characters", characters), ("words", words)],
        transformer_weights={"characters": 1.0, "words": WORD_WEIGHT},
    )


def _features(vectors: Vectors, ngrams: Matrix) -> Matrix:
    return sparse.hstack([sparse.csr_matrix(vectors), ngrams]).tocsr()


def _classifier() -> LogisticRegression:
    return LogisticRegression(C=REGULARISATION, max_iter=3000, class_weight="balanced")


def _softmax(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    result: npt.NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def _temperature(
    vectors: Vectors, texts: list[str], labels: npt.NDArray[np.str_], step: Callable[[], None]
) -> float:
    """The temperature that minimises the log-loss of out-of-fold predictions."""
    classes, counts = np.unique(labels, return_counts=True)
    splits = min(CALIBRATION_FOLDS, int(counts.min()))
    if splits < 2:  # too little data to hold any out: leave the scores as they are
        for _ in range(CALIBRATION_FOLDS):
            step()
        return 1.0
    scores = np.zeros((len(texts), len(classes)))
    folds = StratifiedKFold(splits, shuffle=True, random_state=0)
    for train, held_out in folds.split(vectors, labels):
        ngrams = _ngram_vectorizer().fit([texts[i] for i in train])
        classifier = _classifier().fit(
            _features(vectors[train], ngrams.transform([texts[i] for i in train])),
            labels[train],
        )
        held_out_features = _features(
            vectors[held_out], ngrams.transform([texts[i] for i in held_out])
        )
        columns = np.searchsorted(classes, classifier.classes_)
        scores[np.ix_(held_out, columns)] = classifier.decision_function(held_out_features)
        step()
    for _ in range(CALIBRATION_FOLDS - splits):
        step()
    truth = np.searchsorted(classes, labels)

    def log_loss(temperature: float) -> float:
        probabilities = _softmax(scores / temperature)[np.arange(len(truth)), truth]
        return float(-np.log(probabilities + 1e-12).mean())

    return float(minimize_scalar(log_loss, bounds=(0.05, 20.0), method="bounded").x)


def train_intent_model(
    data: TrainingData, embedder: Embedder, progress: Progress | None = None, batch: int = 128
) -> IntentModel:
    texts = [example.text for example in data.examples]
    batches = range(0, len(texts), batch)
    total, done = len(batches) + CALIBRATION_FOLDS + 2, 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total)

    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for start in batches:
        vectors[start : start + batch] = embedder.embed(texts[start : start + batch])
        step()
    labels = np.array([example.intent for example in data.examples])
    temperature = _temperature(vectors, texts, labels, step)
    ngrams = _ngram_vectorizer().fit(texts)
    classifier = _classifier().fit(_features(vectors, ngrams.transform(texts)), labels)
    step()
    tagger = CrfTagger.train(data.examples)
    step()
    return IntentModel(
        fingerprint=data.fingerprint,
        embedder=embedder.name,
        labels=[str(c) for c in classifier.classes_],
        classifier=classifier,
        ngrams=ngrams,
        temperature=temperature,
        tagger=tagger,
    )


def _load(path: Path) -> IntentModel | None:
    try:
        model = joblib.load(path)
    except Exception:  # an unreadable or outdated file is retrained, never served
        return None
    if not isinstance(model, IntentModel) or getattr(model, "version", 0) != MODEL_VERSION:
        return None
    return model


def load_or_train(
    data: TrainingData,
    embedder: Embedder,
    model_dir: Path,
    progress: Progress | None = None,
    force: bool = False,
    check: Callable[[TrainingData], None] | None = None,
) -> IntentModel:
    """Reuse the saved model when the data and embedder are unchanged, else retrain and save.

    `check` validates the data before any training (see `nlu.validation`).
    """
    path = model_dir / MODEL_FILE
    if path.exists() and not force:
        model = _load(path)
        if model is not None and (model.fingerprint, model.embedder) == (
            data.fingerprint,
            embedder.name,
        ):
            return model
    if check is not None:
        check(data)
    model = train_intent_model(data, embedder, progress)
    model_dir.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    joblib.dump(model, staging)
    staging.replace(path)
    return model


_WORD = re.compile(r"\w+")


def known_words(data: TrainingData) -> frozenset[str]:
    """The first three letters of every word of the examples, lookups and synonyms.

    A message none of whose words starts like one of them ("qwfp arst zxcv") is gibberish,
    whatever its nearest intent; prefixes keep typos and elongations ("hellooo") known.
    """
    texts = [e.text for e in data.examples]
    texts += [v for values in data.lookups.values() for v in values]
    texts += [*data.synonyms, *data.synonyms.values()]
    return frozenset(w[:3] for text in texts for w in _WORD.findall(fold(text)))


class EmbeddedIntentParser:
    name = "embedded"

    def __init__(
        self, model: IntentModel, embedder: Embedder, data: TrainingData, threshold: float
    ) -> None:
        self._model = model
        self._embedder = embedder
        self._entities = EntityExtractor(data, model.tagger)
        self._threshold = threshold
        self._vocabulary = known_words(data)

    def _classify(self, text: str) -> ParseResult:
        clipped = text[:MAX_PARSE_CHARS]
        if not clipped.strip():
            return ParseResult(text=text, intent=FALLBACK_INTENT, confidence=0.0)
        vector = self._embedder.embed([clipped])
        features = self._model.features_of_one(vector, clipped)
        probabilities = self._model.probabilities(features)[0]
        order = np.argsort(probabilities)[::-1]
        ranking = [
            IntentScore(name=self._model.labels[i], confidence=float(probabilities[i]))
            for i in order[:10]
        ]
        best = ranking[0]
        entities = self._entities.extract(text)
        understood = entities or any(
            w[:3] in self._vocabulary for w in _WORD.findall(fold(clipped))
        )
        intent = best.name if best.confidence >= self._threshold and understood else FALLBACK_INTENT
        return ParseResult(
            text=text, intent=intent, confidence=best.confidence, entities=entities, ranking=ranking
        )

    async def parse(self, text: str, *, language: Language) -> ParseResult:
        # On the event loop, as the knowledge base's search: a few milliseconds of CPU that a
        # worker thread would spend too, plus the hand-offs and the fight for the GIL.
        return self._classify(text)
