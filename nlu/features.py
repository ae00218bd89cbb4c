"""Fitted scikit-learn text features for one message at a time.

Per call, scikit-learn validates its parameters and its input and dispatches a FeatureUnion's
parts through joblib: for a single short message that overhead cost more than the features
themselves (about 2 of the 3 ms of the language check, issue 18). `quick` turns the checks off
for inputs this package built itself (finite by construction), and `union_transform` is
`FeatureUnion.transform` without the dispatch: the same matrix. A TF-IDF vectorizer's weighting
of one message's counts is done here on the counts' arrays (scipy's operations on a one-row
matrix cost more than the counting): the same operations, in the same order, the same floats.
`one_text` goes further for one message: the union's matrix (and the columns put before it,
the intent model's sentence embedding) built from the counts' arrays in one step, without a
matrix per part and their stacking (a tenth of a millisecond each).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import sklearn
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion
from sklearn.utils._array_api import _logsumexp
from sklearn.utils.extmath import safe_sparse_dot
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


def one_text(union: FeatureUnion, text: str, first: npt.NDArray[Any] | None = None) -> Matrix:
    """`union_transform(union, [text])`, after the columns of `first` (one row, dense: its
    non-zero values, as `sparse.hstack([sparse.csr_matrix(first), ...])` has them)."""
    weights: dict[str, float] = union.transformer_weights or {}
    values: list[npt.NDArray[Any]] = []
    columns: list[npt.NDArray[np.int64]] = []
    width = 0
    if first is not None:
        row = np.asarray(first).reshape(-1)
        present = np.flatnonzero(row)
        values.append(row[present])
        columns.append(present)
        width = row.shape[0]
    for name, transformer in union.transformer_list:
        part = _tfidf_row(transformer, text)
        if part is None:  # not a vectorizer this path knows: the general one
            rest = union_transform(union, [text])
            return rest if first is None else _after(first, rest)
        counts, indices = part
        weight = weights.get(name)
        values.append(counts if weight is None else counts * weight)
        columns.append(indices + width)
        width += len(transformer.vocabulary_)
    data = np.concatenate(values) if values else np.zeros(0)
    indices = np.concatenate(columns).astype(np.int32) if columns else np.zeros(0, np.int32)
    return sparse.csr_matrix((data, indices, np.array([0, len(data)], np.int32)), shape=(1, width))


def _after(first: npt.NDArray[Any], rest: Matrix) -> Matrix:
    return sparse.hstack([sparse.csr_matrix(first), rest]).tocsr()


class _Row:
    """One row's arrays under the attribute names scikit-learn's normalizers read."""

    def __init__(self, data: npt.NDArray[Any]) -> None:
        self.data = data
        self.shape = (1, len(data))
        self.indices = np.arange(len(data), dtype=np.int32)
        self.indptr = np.array([0, len(data)], np.int32)


def _tfidf_row(
    vectorizer: object, text: str
) -> tuple[npt.NDArray[Any], npt.NDArray[np.int64]] | None:
    """`tfidf_transform(vectorizer, [text])`'s values and columns, in column order; None for
    what is not a TF-IDF vectorizer of floats."""
    if not isinstance(vectorizer, TfidfVectorizer) or vectorizer.dtype not in (
        np.float64,
        np.float32,
    ):
        return None
    vocabulary = vectorizer.vocabulary_
    counted: dict[int, int] = {}
    for feature in vectorizer.build_analyzer()(text):  # CountVectorizer._count_vocab's count
        column = vocabulary.get(feature)
        if column is not None:
            counted[column] = counted.get(column, 0) + 1
    indices = np.array(sorted(counted), dtype=np.int64)
    data = np.array([counted[column] for column in indices.tolist()], dtype=vectorizer.dtype)
    if vectorizer.binary:
        data.fill(1)
    weighting = vectorizer._tfidf
    if weighting.sublinear_tf:
        np.log(data, data)
        data += 1.0
    if hasattr(weighting, "idf_"):
        data *= weighting.idf_[indices]
    if weighting.norm is not None:
        NORMALIZERS[weighting.norm](_Row(data))
    return data, indices


def linear_scores(classifier: LogisticRegression, features: Matrix) -> npt.NDArray[np.float64]:
    """`classifier.decision_function(features)` without its input checks (features built
    here): the same product and sum."""
    scores: npt.NDArray[np.float64] = (
        safe_sparse_dot(features, classifier.coef_.T, dense_output=True) + classifier.intercept_
    )
    return scores.reshape(-1) if scores.ndim > 1 and scores.shape[1] == 1 else scores


def naive_bayes_probabilities(model: MultinomialNB, features: Matrix) -> npt.NDArray[np.float64]:
    """`model.predict_proba(features)` without its input checks: its own steps."""
    joint = model._joint_log_likelihood(features)
    probabilities: npt.NDArray[np.float64] = np.exp(
        joint - np.atleast_2d(_logsumexp(joint, axis=1)).T
    )
    return probabilities
