"""The intent model and the search share one embedding of a message (the real USE model)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from knowledge_index.embedders import Embedder, UniversalSentenceEncoder, Vectors
from knowledge_index.service import QueryVectors, SharedQueryEmbedder


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder: Embedder) -> None:
        self.name, self.dimension = embedder.name, embedder.dimension
        self.embedder = embedder
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return self.embedder.embed(texts)


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder()


def test_a_message_is_embedded_once_for_its_intent_and_its_search(
    use: UniversalSentenceEncoder,
) -> None:
    counting = Counting(use)
    vectors = QueryVectors(counting)
    shared = SharedQueryEmbedder(counting, vectors)
    assert (shared.name, shared.dimension) == (use.name, use.dimension)
    for_intent = shared.embed(["mon vpn ne marche pas"])
    for_search = vectors("mon vpn ne marche pas")
    assert counting.texts == ["mon vpn ne marche pas"]
    assert for_intent.shape == (1, use.dimension)
    np.testing.assert_array_equal(for_intent[0], for_search)
    np.testing.assert_array_equal(for_intent, use.embed(["mon vpn ne marche pas"]))


def test_batches_and_irregular_spacing_go_to_the_embedder_as_they_are(
    use: UniversalSentenceEncoder,
) -> None:
    counting = Counting(use)
    shared = SharedQueryEmbedder(counting, QueryVectors(counting))
    shared.embed(["vpn  down"])
    shared.embed(["reset my password", "printer jam"])
    assert counting.texts == ["vpn  down", "reset my password", "printer jam"]
