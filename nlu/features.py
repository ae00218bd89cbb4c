"""Fitted scikit-learn text features for one message at a time.

Per call, scikit-learn validates its parameters and its input and dispatches a FeatureUnion's
parts through joblib: for a single short message that overhead cost more than the features
themselves (about 2 of the 3 ms of the language check, issue 18). `quick` turns the checks off
for inputs this package built itself (finite by construction), and `union_transform` is
`FeatureUnion.transform` without the dispatch: the same matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import sklearn
from scipy import sparse
from sklearn.pipeline import FeatureUnion

Matrix: TypeAlias = Any  # scipy.sparse.csr_matrix; scipy ships no type hints


@contextmanager
def quick() -> Iterator[None]:
    """scikit-learn without its parameter and finiteness checks (our own inputs only)."""
    with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
        yield


def union_transform(union: FeatureUnion, texts: list[str]) -> Matrix:
    """What `union.transform(texts)` returns for a fitted union of sparse vectorizers."""
    weights: dict[str, float] = union.transformer_weights or {}
    parts = []
    with quick():
        for name, transformer in union.transformer_list:
            part = transformer.transform(texts)
            weight = weights.get(name)
            parts.append(part if weight is None else part * weight)
    return sparse.hstack(parts).tocsr()
