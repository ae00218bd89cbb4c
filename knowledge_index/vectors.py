"""The `VectorIndex` plug-in point: exact search for small collections, HNSW for large ones."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import faiss
import numpy as np
import numpy.typing as npt

from bot.kernel.registry import Registry

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]

# Below this many vectors a brute-force scan is exact and under a millisecond; 22,000 took
# 1.5 ms of each keystroke's 3.4 (10,000 entries), HNSW a tenth of that.
APPROXIMATE_FROM = 15_000
HNSW_NEIGHBOURS = 32
HNSW_BUILD_DEPTH = 80
HNSW_SEARCH_DEPTH = 128

# Queries run one at a time, each in one thread: more threads per query only contend for
# the two cores with the requests in flight.
faiss.omp_set_num_threads(1)


class VectorIndex(Protocol):
    """Inner-product search over unit vectors: `search` returns scores and row numbers, best
    first, padded with -1 rows when fewer than `k` exist. `kind` names the implementation,
    which `load` reads back from the same file."""

    kind: str
    size: int

    def search(self, query: Floats, k: int) -> tuple[Floats, Ints]: ...

    def stored(self, rows: Ints) -> Floats:
        """The vectors of `rows` as the index holds them (HNSW: 8-bit, each cosine read from
        them within 0.001 of the float one)."""
        ...

    def save(self, path: Path) -> None: ...


class FaissIndex:
    def __init__(self, kind: str, index: faiss.Index) -> None:
        self.kind = kind
        self._index = index

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: Floats, k: int) -> tuple[Floats, Ints]:
        k = max(1, min(k, self.size)) if self.size else 1
        scores, rows = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        return scores[0], rows[0]

    def stored(self, rows: Ints) -> Floats:
        found: Floats = self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        return found

    def save(self, path: Path) -> None:
        faiss.write_index(self._index, str(path))


def exact_index(vectors: Floats) -> FaissIndex:
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    return FaissIndex("exact", index)


def hnsw_index(vectors: Floats) -> FaissIndex:
    """HNSW graph over 8-bit scalar-quantised vectors: a quarter of the memory of floats."""
    index = faiss.IndexHNSWSQ(
        vectors.shape[1],
        faiss.ScalarQuantizer.QT_8bit,  # type: ignore[arg-type]  # the stub wants an instance
        HNSW_NEIGHBOURS,
        faiss.METRIC_INNER_PRODUCT,
    )
    index.hnsw.efConstruction = HNSW_BUILD_DEPTH
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is not serving: use the cores
    try:
        index.train(vectors)
        index.add(vectors)
    finally:
        faiss.omp_set_num_threads(1)
    index.hnsw.efSearch = HNSW_SEARCH_DEPTH
    return FaissIndex("hnsw", index)


VECTOR_INDEXES: Registry[Callable[[Floats], FaissIndex]] = Registry("vector index")
VECTOR_INDEXES.register("exact", exact_index)
VECTOR_INDEXES.register("hnsw", hnsw_index)


def build_vector_index(vectors: Floats, approximate_from: int = APPROXIMATE_FROM) -> FaissIndex:
    kind = "hnsw" if len(vectors) >= approximate_from else "exact"
    return VECTOR_INDEXES.get(kind)(vectors)


def load_vector_index(path: Path, kind: str) -> FaissIndex:
    index = faiss.read_index(str(path))
    if kind == "hnsw":
        hnsw: Any = index  # read_index gives the concrete class; its stub says Index
        hnsw.hnsw.efSearch = HNSW_SEARCH_DEPTH
    return FaissIndex(kind, index)
