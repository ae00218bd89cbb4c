"""Fitting the re-ranker: a softmax over each query's candidates (the chance that a candidate
is the one that answers, against the others of the same query), L2-regularised, and its
figures by cross-validation. Used by `scripts/fit_reranker.py` only."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize

from knowledge_index.rerank import Reranker

Matrix = npt.NDArray[np.float64]
L2 = 50.0  # chosen by the tune cross-validation (3 and 10 lowered French half-typed top-1)
FOLDS = 5
SEEDS = (0, 1, 2)


@dataclass(frozen=True)
class Sample:
    """One search: its candidates' features in fused order, which of them answer, whether the
    query has an answer at all (it may be missing from the candidates), the fused scores, and
    the slice it is reported in."""

    x: Matrix
    answers: list[int]
    answerable: bool
    fused: Matrix
    group: str  # the source ticket: its texts share a fold
    slice: str  # e.g. "search full en"


def fit(samples: Sequence[Sample], *, version: int, fitted_on: str, l2: float = L2) -> Reranker:
    """Weights maximising the likelihood that each answerable query's answer comes first,
    fitted on standardised features and returned on the raw ones."""
    used = [s for s in samples if s.answers and len(s.answers) < len(s.x)]
    stacked = np.vstack([s.x for s in used])
    scale = stacked.std(axis=0)
    scale[scale == 0] = 1.0
    xs = [s.x / scale for s in used]
    answers = [s.answers for s in used]

    def loss(w: Matrix) -> tuple[float, Matrix]:
        total, gradient = 0.5 * l2 * float(w @ w), l2 * w
        for x, y in zip(xs, answers, strict=True):
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            right = float(p[y].sum())
            total -= float(np.log(right))
            q = np.zeros_like(p)
            q[y] = p[y] / right
            gradient = gradient - (q - p) @ x
        return total, gradient

    result = minimize(loss, np.zeros(stacked.shape[1]), jac=True, method="L-BFGS-B")
    weights = result.x / scale
    return Reranker(version=version, weights=tuple(float(w) for w in weights), fitted_on=fitted_on)


@dataclass(frozen=True)
class Figures:
    top1: float
    recall5: float
    queries: int


def figures(
    samples: Sequence[Sample], order: Callable[[Sample], Sequence[int]], *, shown_from: float
) -> dict[str, Figures]:
    """Top-1 and recall@5 per slice, over answerable queries; candidates whose fused score is
    under `shown_from` are not shown, as the service leaves them out."""
    ranks: dict[str, list[int | None]] = {}
    for sample in samples:
        if not sample.answerable:
            continue
        shown = [int(i) for i in order(sample) if sample.fused[i] >= shown_from]
        rank = next((n for n, i in enumerate(shown) if i in sample.answers), None)
        ranks.setdefault(sample.slice, []).append(rank)
    return {
        name: Figures(
            top1=sum(r == 0 for r in found) / len(found),
            recall5=sum(r is not None and r < 5 for r in found) / len(found),
            queries=len(found),
        )
        for name, found in ranks.items()
    }


def _recorded(orders: dict[int, list[int]], sample: Sample) -> list[int]:
    return orders[id(sample)]


def cross_validated(
    samples: Sequence[Sample],
    *,
    shown_from: float,
    l2: float = L2,
    folds: int = FOLDS,
    seeds: Sequence[int] = SEEDS,
) -> dict[str, Figures]:
    """Figures of out-of-fold orders, averaged over fold assignments (`seeds`); the texts of
    one ticket (`Sample.group`) share a fold."""
    runs: list[dict[str, Figures]] = []
    names = sorted({s.group for s in samples})
    for seed in seeds:
        permuted = np.random.RandomState(seed).permutation(len(names))
        fold_of = {name: int(permuted[i]) % folds for i, name in enumerate(names)}
        orders: dict[int, list[int]] = {}  # by the sample's id()
        for k in range(folds):
            model = fit(
                [s for s in samples if fold_of[s.group] != k], version=0, fitted_on="", l2=l2
            )
            weights = np.asarray(model.weights)
            for sample in samples:
                if fold_of[sample.group] == k:
                    orders[id(sample)] = [
                        int(i) for i in np.argsort(-(sample.x @ weights), kind="stable")
                    ]
        runs.append(figures(samples, partial(_recorded, orders), shown_from=shown_from))
    return {
        name: Figures(
            top1=float(np.mean([run[name].top1 for run in runs])),
            recall5=float(np.mean([run[name].recall5 for run in runs])),
            queries=runs[0][name].queries,
        )
        for name in runs[0]
    }
