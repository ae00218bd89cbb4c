"""How sure a search is: the stored abstention model and its fitting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge_index.abstention import FEATURES, AbstentionModel, Sureness, features
from knowledge_index.abstention_fit import auc, cross_validated_auc, fit
from knowledge_index.documents import Entry, EntryType
from knowledge_index.index import Hit
from knowledge_index.lexical import LexicalMatch


def test_the_shipped_model_trusts_a_strong_match_more_than_a_weak_one() -> None:
    model = AbstentionModel.load()
    assert len(model.weights) == len(FEATURES) and model.version >= 1 and "tune" in model.fitted_on
    strong = model.confidence([0.7, 0.2, 1.0, 0.0, 0.65, 0.9, 0.7, 1.0, 0.0, 0.7])
    weak = model.confidence([0.25, 0.01, 0.2, 0.5, 0.2, 0.0, 0.1, 0.2, 0.0, 1.6])
    assert 0.0 < weak < 0.5 < strong < 1.0


def test_a_refit_separates_what_it_was_shown_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    answerable = rng.normal([0.6, 0.1, 0.8, 0.0], 0.1, (60, 4))
    unanswerable = rng.normal([0.35, 0.02, 0.4, 0.3], 0.1, (60, 4))
    x = np.vstack([answerable, unanswerable])
    y = np.array([1.0] * 60 + [0.0] * 60)
    model = fit(x, y, version=2, fitted_on="synthetic")
    assert cross_validated_auc(x, y, [str(i) for i in range(120)]) > 0.9
    model.dump(tmp_path / "m.json")
    loaded = AbstentionModel.load(tmp_path / "m.json")
    assert loaded.weights == pytest.approx(model.weights, abs=1e-6)
    assert loaded.confidence([0.5, 0.1, 0.6, 0.1]) == pytest.approx(
        model.confidence([0.5, 0.1, 0.6, 0.1]), abs=1e-5
    )


def test_a_model_file_with_other_features_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(
        '{"version": 1, "features": ["best"], "weights": [1], "intercept": 0}'
    )
    with pytest.raises(ValueError, match="features"):
        AbstentionModel.load(tmp_path / "m.json")


def test_auc_counts_ties_as_half() -> None:
    assert auc([1.0, 0.5], [0.5, 0.0]) == pytest.approx(0.875)


def test_search_may_be_sure_where_the_chat_does_not_answer_outright() -> None:
    weights = (1.0,) + (0.0,) * (len(FEATURES) - 1)
    model = AbstentionModel(version=0, weights=weights, intercept=0.0)
    judge = Sureness(model, threshold=0.5, answer_threshold=0.7)
    values = [0.4] + [0.0] * (len(FEATURES) - 1)
    assert judge.model.confidence(values) == pytest.approx(0.599, abs=0.001)
    match = LexicalMatch(coverage=np.zeros(1, dtype=np.float32), stems=set(), completion=None)
    hit = _hit(score=0.4)
    verdict = judge.judge([hit], match)
    assert (verdict.sure, verdict.answer) == (True, False)
    assert judge.judge([_hit(score=1.0)], match).answer
    assert not judge.judge([], match).sure  # nothing found is never sure


def _hit(*, score: float, kind: EntryType = "procedure") -> Hit:
    entry = Entry(
        id="en-vpn-connect",
        group="vpn-connect",
        title="Connect to the VPN",
        language="en",
        type=kind,
        category="network",
        tags=[],
        url="/kb/en/vpn-connect",
        body="Open GlobalProtect.",
    )
    return Hit(entry=entry, passage=entry.body, score=score)


def test_a_first_result_whose_title_covers_the_query_is_trusted_more() -> None:
    model = AbstentionModel.load()
    match = LexicalMatch(coverage=np.full(1, 0.5, dtype=np.float32), stems=set(), completion=None)
    body_only = _hit(score=0.4).model_copy(update={"title_coverage": 0.0, "title_cosine": 0.1})
    in_title = body_only.model_copy(update={"title_coverage": 0.8, "title_cosine": 0.6})
    assert model.confidence(features([in_title], match)) > model.confidence(
        features([body_only], match)
    )


def test_the_new_signals_are_read_of_the_first_result_and_the_words() -> None:
    match = LexicalMatch(
        coverage=np.full(1, 0.5, dtype=np.float32), stems=set(), completion=None, rivals=3
    )
    first = _hit(score=0.4, kind="catalog_item").model_copy(update={"entry_coverage": 0.8})
    values = dict(zip(FEATURES, features([first, _hit(score=0.3)], match), strict=True))
    assert values["entry_coverage"] == pytest.approx(0.8)
    assert values["catalog"] == pytest.approx(1 / 3)  # one catalog item among the first three
    assert values["rivals"] == pytest.approx(np.log(4))
    nothing = dict(zip(FEATURES, features([], match), strict=True))
    assert nothing["entry_coverage"] == nothing["catalog"] == 0.0


def test_a_query_many_entries_match_alike_is_trusted_less() -> None:
    model = AbstentionModel.load()
    hit = _hit(score=0.45).model_copy(update={"title_coverage": 0.6, "entry_coverage": 0.7})

    def confidence(rivals: int) -> float:
        match = LexicalMatch(
            coverage=np.full(1, 0.7, dtype=np.float32),
            stems=set(),
            completion=None,
            rivals=rivals,
        )
        return model.confidence(features([hit], match))

    assert confidence(12) < confidence(1)
