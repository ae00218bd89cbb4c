"""The vector indexes: exact below `APPROXIMATE_FROM` vectors, HNSW over 8-bit codes above."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from knowledge_index.vectors import FaissIndex, exact_index, hnsw_index


def _unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, 64)).astype(np.float32)
    unit: np.ndarray = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit


@pytest.mark.parametrize(("build", "tolerance"), [(exact_index, 1e-6), (hnsw_index, 2e-3)])
def test_stored_vectors_give_the_cosines_of_the_vectors_added(
    build: Callable[[np.ndarray], FaissIndex], tolerance: float
) -> None:
    vectors = _unit(2_000)
    index: FaissIndex = build(vectors)
    query = _unit(1, seed=1)[0]
    rows = np.array([1_999, 0, 17, 17, 512], dtype=np.int64)
    stored = index.stored(rows)
    assert stored.shape == (5, 64) and stored.dtype == np.float32
    assert np.abs(stored @ query - vectors[rows] @ query).max() < tolerance


def test_an_unknown_row_is_an_error_not_a_vector() -> None:
    index = exact_index(_unit(10))
    with pytest.raises(RuntimeError):
        index.stored(np.array([10], dtype=np.int64))
