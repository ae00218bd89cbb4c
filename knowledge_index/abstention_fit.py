"""Fitting the abstention model: an L2-regularised logistic regression by Newton's method, and
its area under the ROC curve by cross-validation. Used by `scripts/fit_abstention.py` only."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from knowledge_index.abstention import AbstentionModel

Matrix = npt.NDArray[np.float64]
L2 = 1.0
FOLDS = 5


def fit(x: Matrix, y: Matrix, *, version: int, fitted_on: str, l2: float = L2) -> AbstentionModel:
    """Weights maximising the likelihood of `y` (1: answerable) given `x`, intercept free."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.eye(design.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-design @ beta))
        gradient = design.T @ (p - y) + penalty @ beta
        hessian = (design * (p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return AbstentionModel(
        version=version,
        weights=tuple(float(b) for b in beta[1:]),
        intercept=float(beta[0]),
        fitted_on=fitted_on,
    )


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The chance that a positive scores above a negative, ties counting half."""
    pos, neg = np.asarray(positives)[:, None], np.asarray(negatives)[None, :]
    return float(((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size))


def out_of_fold(x: Matrix, y: Matrix, groups: Sequence[str], folds: int = FOLDS) -> Matrix:
    """Each row's confidence from a model fitted without its fold; the texts of one ticket
    (`groups`) share a fold."""
    fold_of = {g: i % folds for i, g in enumerate(sorted(set(groups)))}
    fold = np.asarray([fold_of[g] for g in groups])
    scores = np.zeros(len(y))
    for k in range(folds):
        held = fold == k
        model = fit(x[~held], y[~held], version=0, fitted_on="")
        scores[held] = [model.confidence(list(row)) for row in x[held]]
    return scores


def cross_validated_auc(x: Matrix, y: Matrix, groups: Sequence[str], folds: int = FOLDS) -> float:
    """AUC of out-of-fold confidences, all rows pooled."""
    scores = out_of_fold(x, y, groups, folds)
    return auc(list(scores[y == 1]), list(scores[y == 0]))


def cross_validated_auc_by_slice(
    x: Matrix, y: Matrix, groups: Sequence[str], slices: Sequence[str], folds: int = FOLDS
) -> dict[str, float]:
    """AUC of out-of-fold confidences within each slice (e.g. "fr half"), the model fitted on
    all slices as it is shipped."""
    scores = out_of_fold(x, y, groups, folds)
    named = np.asarray(slices)
    return {
        name: auc(
            list(scores[(named == name) & (y == 1)]), list(scores[(named == name) & (y == 0)])
        )
        for name in sorted(set(slices))
    }
