"""The figures of one system on one slice of labelled queries.

Ranking figures (top-1, recall@5, MRR@10) are over the answerable queries. "Not sure" is judged
over all of them: the AUC of the system's sureness (Guichet's calibrated confidence, a peer's
best score) separating answerable queries (positives) from the
unanswerable ones, and the precision and recall of abstaining, where an unanswerable query is
the thing to detect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

RECALL_DEPTH = 5
MRR_DEPTH = 10


@dataclass(frozen=True)
class Outcome:
    """What a system did with one query: the rank of the first right group (None: not in
    its list), how sure it was, and whether it said "not sure" (None: it cannot say)."""

    answerable: bool
    rank: int | None
    sureness: float
    abstained: bool | None


@dataclass(frozen=True)
class Figures:
    answerable: int
    unanswerable: int
    top1: float
    recall5: float
    mrr10: float
    auc: float | None  # None without both kinds of queries
    abstention_precision: float | None  # None when the system never abstains or cannot
    abstention_recall: float | None  # None without unanswerable queries, or cannot abstain


def rank_of(groups: Sequence[str], expect: Sequence[str]) -> int | None:
    """The position (0 first) of the first group that answers, among distinct groups."""
    seen: list[str] = []
    for group in groups:
        if group in seen:
            continue
        if group in expect:
            return len(seen)
        seen.append(group)
    return None


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """The chance that a random positive scores above a random negative, ties counting half
    (the Mann-Whitney statistic); None without both."""
    if not positives or not negatives:
        return None
    ordered = sorted(negatives)
    total = 0.0
    for score in positives:
        below = _count_below(ordered, score)
        ties = _count_below(ordered, score, inclusive=True) - below
        total += below + ties / 2
    return total / (len(positives) * len(negatives))


def _count_below(ordered: Sequence[float], score: float, *, inclusive: bool = False) -> int:
    low, high = 0, len(ordered)
    while low < high:
        middle = (low + high) // 2
        if ordered[middle] < score or (inclusive and ordered[middle] == score):
            low = middle + 1
        else:
            high = middle
    return low


def abstention(outcomes: Sequence[Outcome]) -> tuple[float | None, float | None]:
    """Precision and recall of "not sure" at detecting the unanswerable queries."""
    judged = [o for o in outcomes if o.abstained is not None]
    if not judged:
        return None, None
    abstained = [o for o in judged if o.abstained]
    unanswerable = [o for o in judged if not o.answerable]
    right = sum(1 for o in abstained if not o.answerable)
    precision = right / len(abstained) if abstained else None
    recall = right / len(unanswerable) if unanswerable else None
    return precision, recall


def figures(outcomes: Sequence[Outcome]) -> Figures:
    answerable = [o for o in outcomes if o.answerable]
    n = len(answerable)
    ranks = [o.rank for o in answerable]
    precision, recall = abstention(outcomes)
    return Figures(
        answerable=n,
        unanswerable=len(outcomes) - n,
        top1=sum(r == 0 for r in ranks) / n if n else 0.0,
        recall5=sum(r is not None and r < RECALL_DEPTH for r in ranks) / n if n else 0.0,
        mrr10=sum(1 / (r + 1) for r in ranks if r is not None and r < MRR_DEPTH) / n if n else 0.0,
        auc=auc(
            [o.sureness for o in answerable],
            [o.sureness for o in outcomes if not o.answerable],
        ),
        abstention_precision=precision,
        abstention_recall=recall,
    )
