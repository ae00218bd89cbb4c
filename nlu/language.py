"""Per-message language detection, French or English, tuned for short IT-support messages."""

from __future__ import annotations

import math
from dataclasses import dataclass

from lingua import Language as LinguaLanguage
from lingua import LanguageDetectorBuilder
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline

from bot.kernel.language import Language
from nlu.data import TrainingData
from nlu.features import naive_bayes_probabilities, one_text

_EPSILON = 1e-4
# Languages told apart from English and French, so that a message in one of them is reported
# as such (and is out of scope) rather than read as the nearest of the two.
_OTHERS = (
    LinguaLanguage.SPANISH,
    LinguaLanguage.GERMAN,
    LinguaLanguage.ITALIAN,
    LinguaLanguage.PORTUGUESE,
    LinguaLanguage.DUTCH,
)
_FOREIGN_EVIDENCE = 0.9
_FOREIGN_MIN_WORDS = 3


@dataclass(frozen=True)
class Detection:
    language: Language
    confidence: float


def _logit(p: float) -> float:
    p = min(max(p, _EPSILON), 1 - _EPSILON)
    return math.log(p / (1 - p))


class LanguageDetector:
    """Adds the evidence of lingua's general model and of a model of our own training data.

    Lingua alone reads "mon outlook crash" as English and is unsure of "oui"; the in-domain
    naive Bayes model (words and character n-grams of the NLU examples) knows both are French.
    """

    def __init__(self, data: TrainingData) -> None:
        # Models preloaded here (in the start-up thread): lingua otherwise loads them on the
        # first message, blocking the event loop for seconds.
        self._lingua = (
            LanguageDetectorBuilder.from_languages(LinguaLanguage.ENGLISH, LinguaLanguage.FRENCH)
            .with_preloaded_language_models()
            .build()
        )
        examples = [e for e in data.examples if e.language in ("en", "fr")]
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer="word", token_pattern=r"(?u)\b\w+\b")),
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
            ]
        )
        self._domain: Pipeline = make_pipeline(features, MultinomialNB(alpha=0.1))
        self._domain.fit([e.text.lower() for e in examples], [e.language for e in examples])
        self._french_column = list(self._domain.classes_).index("fr")
        self._wide = (
            LanguageDetectorBuilder.from_languages(
                LinguaLanguage.ENGLISH, LinguaLanguage.FRENCH, *_OTHERS
            )
            .with_preloaded_language_models()
            .build()
        )

    def foreign(self, text: str) -> tuple[str, float] | None:
        """(ISO code, confidence) of another language, when the evidence is strong (3+ words)."""
        if len(text.split()) < _FOREIGN_MIN_WORDS:
            return None
        values = self._wide.compute_language_confidence_values(text[:2000])
        if not values or values[0].language not in _OTHERS:
            return None
        mass = sum(v.value for v in values if v.language in _OTHERS)
        if mass < _FOREIGN_EVIDENCE:
            return None
        code = values[0].language.iso_code_639_1.name.lower()
        return code, mass

    def detect(self, text: str) -> Detection:
        values = self._lingua.compute_language_confidence_values(text)
        lingua_fr = next((v.value for v in values if v.language == LinguaLanguage.FRENCH), 0.5)
        features, model = self._domain.steps[0][1], self._domain.steps[-1][1]
        # the pipeline's predict_proba, without its per-call overhead
        scores = naive_bayes_probabilities(model, one_text(features, text.lower()))
        domain_fr = float(scores[0][self._french_column])
        french = 1 / (1 + math.exp(-(_logit(lingua_fr) + _logit(domain_fr))))
        if french >= 0.5:
            return Detection("fr", french)
        return Detection("en", 1 - french)
