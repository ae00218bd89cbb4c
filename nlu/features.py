"""Fitted scikit-learn text features for one message at a time.

Per call, scikit-learn validates its parameters and its input and dispatches a FeatureUnion's
parts through joblib: for a single short message that overhead cost more than the features
themselves (about 2 of the 3 ms of the language check, issue 18). `quick` turns the checks off
for inputs this package built itself (finite by construction), and `union_transform` is
`FeatureUnion.transform` without the dispatch: the same matrix. A TF-IDF vectorizer's weighting
of one message's counts is done here on the counts' arrays (scipy's operations on a one-row
matrix cost more than the counting): the same operations, in the same order, the same floats.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.utils.sparsefuncs_fast import (
    inplace_csr_row_normalize_l1,
    inplace_csr_row_normalize_l2,
)

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
            part = (
                tfidf_transform(transformer, texts)
                if isinstance(transformer, TfidfVectorizer)
                else transformer.transform(texts)
            )
            weight = weights.get(name)
            parts.append(part if weight is None else part * weight)
    return sparse.hstack(parts).tocsr()


NORMALIZERS = {"l1": inplace_csr_row_normalize_l1, "l2": inplace_csr_row_normalize_l2}


def tfidf_transform(vectorizer: TfidfVectorizer, texts: list[str]) -> Matrix:
    """`vectorizer.transform(texts)`: its TfidfTransformer's steps on the counts' arrays."""
    weighting = vectorizer._tfidf
    counts = CountVectorizer.transform(vectorizer, texts)
    if counts.dtype not in (np.float64, np.float32):  # scikit-learn converts other types
        return weighting.transform(counts, copy=False)
    if weighting.sublinear_tf:
        np.log(counts.data, counts.data)
        counts.data += 1.0
    if hasattr(weighting, "idf_"):
        counts.data *= weighting.idf_[counts.indices]
    if weighting.norm is not None:
        NORMALIZERS[weighting.norm](counts)
    return counts
