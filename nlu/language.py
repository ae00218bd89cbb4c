"""Per-message language detection, French or English, tuned for short IT-support messages."""

from __future__ import annotations

from dataclasses import dataclass

from lingua import Language as LinguaLanguage
from lingua import LanguageDetectorBuilder
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from bot.settings import Language
from nlu.data import TrainingData


@dataclass(frozen=True)
class Detection:
    language: Language
    confidence: float


class LanguageDetector:
    """Averages lingua's general model with a character n-gram model of our own training data.

    Lingua alone reads "mon outlook crash" as English; the in-domain model knows that "mon"
    and "marche pas" are French even among English product names.
    """

    def __init__(self, data: TrainingData) -> None:
        self._lingua = LanguageDetectorBuilder.from_languages(
            LinguaLanguage.ENGLISH, LinguaLanguage.FRENCH).build()
        examples = [e for e in data.examples if e.language in ("en", "fr")]
        self._domain: Pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
            LogisticRegression(C=4.0, max_iter=2000),
        )
        self._domain.fit([e.text.lower() for e in examples], [e.language for e in examples])
        self._french_column = list(self._domain.classes_).index("fr")

    def detect(self, text: str) -> Detection:
        values = self._lingua.compute_language_confidence_values(text)
        lingua_fr = next((v.value for v in values if v.language == LinguaLanguage.FRENCH), 0.5)
        domain_fr = float(self._domain.predict_proba([text.lower()])[0][self._french_column])
        french = (lingua_fr + domain_fr) / 2
        if french >= 0.5:
            return Detection("fr", french)
        return Detection("en", 1 - french)
