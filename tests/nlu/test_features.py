"""The one-message path of the text features gives what scikit-learn's own calls give."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from bot.services import Components
from nlu.embedded import EmbeddedIntentParser
from nlu.features import (
    linear_scores,
    naive_bayes_probabilities,
    one_text,
    tfidf_transform,
    union_transform,
)
from nlu.language import _logit

pytestmark = pytest.mark.slow

MESSAGES = [
    "le VPN marche pas",
    "my laptop won't boot since the update",
    "oui",
    "imprimante bloquée au 3e étage, bac 2",
    "",
    "????",
    "Ça   marche PAS !! 🎉",
    "mot de passe expiré, VPN HS depuis lundi " * 40,
]


def assert_same_matrix(ours: object, theirs: object) -> None:
    """The same type, shape, dtype and arrays: the same floats, in the same order."""
    assert type(ours) is type(theirs)
    assert (ours.shape, ours.dtype) == (theirs.shape, theirs.dtype)  # type: ignore[attr-defined]
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(ours, part), getattr(theirs, part))


@pytest.mark.parametrize("text", MESSAGES)
def test_language_detection_is_the_pipeline_s(components: Components, text: str) -> None:
    detector = components.languages
    union = detector._domain.steps[0][1]
    assert (union_transform(union, [text.lower()]) != union.transform([text.lower()])).nnz == 0
    assert_same_matrix(one_text(union, text.lower()), union_transform(union, [text.lower()]))
    features = union.transform([text.lower()])
    naive_bayes = detector._domain.steps[-1][1]
    np.testing.assert_array_equal(
        naive_bayes_probabilities(naive_bayes, features), naive_bayes.predict_proba(features)
    )
    domain_fr = detector._domain.predict_proba([text.lower()])[0][detector._french_column]
    lingua_fr = next(
        (
            v.value
            for v in detector._lingua.compute_language_confidence_values(text)
            if v.language.iso_code_639_1.name == "FR"
        ),
        0.5,
    )
    french = 1 / (1 + math.exp(-(_logit(lingua_fr) + _logit(domain_fr))))
    detection = detector.detect(text)
    assert detection.language == ("fr" if french >= 0.5 else "en")
    assert detection.confidence == pytest.approx(max(french, 1 - french), abs=1e-12)


@pytest.mark.parametrize("text", MESSAGES)
def test_intent_probabilities_are_the_classifier_s(components: Components, text: str) -> None:
    parser = components.parser
    assert isinstance(parser, EmbeddedIntentParser)
    model = parser._model
    assert (union_transform(model.ngrams, [text]) != model.ngrams.transform([text])).nnz == 0
    vector = components.embedder.embed([text])
    features = model.features(vector, [text])
    assert_same_matrix(model.features_of_one(vector, text), features)
    np.testing.assert_array_equal(
        linear_scores(model.classifier, features), model.classifier.decision_function(features)
    )
    scores = model.classifier.decision_function(features) / model.temperature
    expected = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
    np.testing.assert_allclose(model.probabilities(features), expected, rtol=1e-12)


CORPUS = [
    "mon VPN ne marche plus depuis ce matin",
    "reset my password please",
    "l'imprimante du 3e étage est bloquée",
    "Outlook crashes when I open the calendar",
    "je n'arrive pas à me connecter au wifi",
]


@pytest.mark.unit
@pytest.mark.parametrize(
    "options",
    [
        {"analyzer": "char_wb", "ngram_range": (2, 4), "sublinear_tf": True},
        {"analyzer": "word", "use_idf": False},
        {"analyzer": "char", "ngram_range": (1, 3), "norm": "l1", "smooth_idf": False},
        {"analyzer": "word", "norm": None, "sublinear_tf": True},
        {"analyzer": "word", "dtype": np.float32},
    ],
)
def test_tfidf_weighting_of_one_message_is_scikit_learn_s(options: dict[str, object]) -> None:
    vectorizer = TfidfVectorizer(**options).fit(CORPUS)
    for text in [*MESSAGES, *CORPUS, "VPN VPN VPN wifi"]:
        ours, theirs = tfidf_transform(vectorizer, [text]), vectorizer.transform([text])
        assert type(ours) is type(theirs)
        assert (ours != theirs).nnz == 0
        np.testing.assert_array_equal(ours.toarray(), theirs.toarray())


@pytest.mark.unit
def test_one_text_is_the_union_after_the_dense_columns() -> None:
    union = FeatureUnion(
        [
            ("characters", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))),
            ("words", TfidfVectorizer(analyzer="word", sublinear_tf=True, binary=True)),
            ("counts", TfidfVectorizer(analyzer="word", norm="l1", dtype=np.float32)),
        ],
        transformer_weights={"characters": 1.0, "words": 0.5},
    ).fit(CORPUS)
    dense = np.array([[0.5, 0.0, -1.25, 3.0]], dtype=np.float32)  # the zero is left out
    for text in [*MESSAGES, *CORPUS, "VPN VPN VPN wifi", "zzz qqq"]:
        expected = union_transform(union, [text])
        assert_same_matrix(one_text(union, text), expected)
        assert_same_matrix(
            one_text(union, text, first=dense),
            sparse.hstack([sparse.csr_matrix(dense), expected]).tocsr(),
        )


@pytest.mark.unit
def test_one_text_takes_the_general_path_for_other_transformers() -> None:
    union = FeatureUnion([("tfidf", TfidfVectorizer()), ("counts", CountVectorizer())]).fit(CORPUS)
    for text in CORPUS:
        assert_same_matrix(one_text(union, text), union_transform(union, [text]))
