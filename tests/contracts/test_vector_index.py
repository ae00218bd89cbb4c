"""Every `VectorIndex` finds the nearest unit vectors and survives a save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_index.vectors import (
    VECTOR_INDEXES,
    build_vector_index,
    load_vector_index,
)

pytestmark = pytest.mark.unit


def _unit(count: int, dimension: int = 64, seed: int = 7) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@pytest.mark.parametrize("kind", VECTOR_INDEXES.names())
def test_nearest_neighbours(kind: str, tmp_path: Path) -> None:
    vectors = _unit(2000)
    index = VECTOR_INDEXES.get(kind)(vectors)
    assert index.kind == kind and index.size == 2000
    found = 0
    for row in range(0, 2000, 50):
        query = vectors[row] + 0.05 * _unit(1, seed=row)[0]
        scores, rows = index.search(query / np.linalg.norm(query), 5)
        assert list(scores) == sorted(scores, reverse=True)
        found += rows[0] == row
    assert found >= 38  # of 40: approximate search may miss one now and then
    index.save(tmp_path / "vectors.faiss")
    loaded = load_vector_index(tmp_path / "vectors.faiss", kind)
    assert list(loaded.search(vectors[3], 3)[1]) == list(index.search(vectors[3], 3)[1])


@pytest.mark.parametrize("kind", VECTOR_INDEXES.names())
def test_asking_for_more_than_there_is(kind: str) -> None:
    index = VECTOR_INDEXES.get(kind)(_unit(300))
    _, rows = index.search(_unit(1)[0], 1000)
    assert len(rows) == 300 and (rows >= 0).all()


def test_the_size_chooses_the_kind() -> None:
    assert build_vector_index(_unit(100), approximate_from=1000).kind == "exact"
    assert build_vector_index(_unit(1000), approximate_from=1000).kind == "hnsw"
