"""The figures of the real-set evaluation, on hand-made outcomes whose answers are known."""

from __future__ import annotations

import pytest

from knowledge_index.real_eval.metrics import Outcome, abstention, auc, figures, rank_of

pytestmark = pytest.mark.unit


def test_a_rank_counts_distinct_groups_only() -> None:
    assert rank_of(["a", "b", "c"], ["c"]) == 2
    assert rank_of(["a", "a", "b"], ["b", "x"]) == 1  # the repeated "a" is one place
    assert rank_of(["a", "b"], ["z"]) is None


def test_auc_is_the_share_of_pairs_ranked_right_ties_counting_half() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5], [0.5]) == 0.5
    # 0.7 beats 0.2 and ties 0.7; 0.3 beats 0.2 and loses to 0.7: (1 + 0.5 + 1 + 0) / 4
    assert auc([0.7, 0.3], [0.2, 0.7]) == pytest.approx(0.625)
    assert auc([0.7], []) is None


def _outcome(answerable: bool, rank: int | None, score: float, abstained: bool | None) -> Outcome:
    return Outcome(answerable=answerable, rank=rank, sureness=score, abstained=abstained)


def test_abstention_precision_and_recall_find_the_unanswerable_queries() -> None:
    outcomes = [
        _outcome(True, 0, 0.9, False),
        _outcome(True, 3, 0.3, True),  # a wrong "not sure"
        _outcome(False, None, 0.2, True),  # a right one
        _outcome(False, None, 0.6, False),  # an unanswerable query answered anyway
        _outcome(False, None, 0.1, True),
    ]
    precision, recall = abstention(outcomes)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)


def test_a_system_that_cannot_abstain_has_no_abstention_figures() -> None:
    assert abstention([_outcome(True, 0, 3.2, None), _outcome(False, None, 1.0, None)]) == (
        None,
        None,
    )
    never = [_outcome(True, 0, 0.9, False), _outcome(False, None, 0.6, False)]
    assert abstention(never) == (None, 0.0)


def test_figures_of_a_slice() -> None:
    outcomes = [
        _outcome(True, 0, 0.9, False),
        _outcome(True, 1, 0.8, False),
        _outcome(True, 6, 0.5, False),  # beyond recall@5, inside MRR@10
        _outcome(True, None, 0.4, True),
        _outcome(False, None, 0.45, False),
        _outcome(False, None, 0.2, True),
    ]
    got = figures(outcomes)
    assert (got.answerable, got.unanswerable) == (4, 2)
    assert got.top1 == 0.25
    assert got.recall5 == 0.5
    assert got.mrr10 == pytest.approx((1 + 1 / 2 + 1 / 7) / 4)
    # answerable 0.9, 0.8, 0.5, 0.4 against 0.45 and 0.2: 7 of 8 pairs right
    assert got.auc == pytest.approx(7 / 8)
    assert got.abstention_precision == 0.5
    assert got.abstention_recall == 0.5


def test_mrr_stops_at_ten() -> None:
    assert figures([_outcome(True, 10, 0.5, False)]).mrr10 == 0.0
    assert figures([_outcome(True, 9, 0.5, False)]).mrr10 == pytest.approx(0.1)
