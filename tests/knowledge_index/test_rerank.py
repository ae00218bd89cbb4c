"""The re-ranker: its shipped weights, its features, its fitting, and what it may reorder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.kernel.language import Language
from bot.services import Components
from knowledge_index.index import SearchQuery
from knowledge_index.rerank import (
    DEPTH,
    DEPTHS,
    FEATURES,
    SHORT_DEPTHS,
    Candidates,
    Reranker,
    depth_for,
    features,
)
from knowledge_index.rerank_fit import Sample, cross_validated, fit


def _candidates(**signals: list[float]) -> Candidates:
    n = len(signals["fused"])
    zeros = [0.0] * n
    return Candidates(
        fused=np.asarray(signals["fused"]),
        dense=np.asarray(signals.get("dense", zeros)),
        lexical=np.asarray(signals.get("lexical", zeros)),
        title_coverage=np.asarray(signals.get("title_coverage", zeros)),
        title_cosine=np.asarray(signals.get("title_cosine", zeros)),
        types=["catalog_item", "known_error"][:n],
        groups=[f"g{i}" for i in range(n)],
    )


def test_the_shipped_model_is_fitted_on_the_tune_split_and_prefers_a_matching_title() -> None:
    model = Reranker.load()
    assert len(model.weights) == len(FEATURES) and "tune" in model.fitted_on
    found = _candidates(fused=[0.5, 0.48], title_coverage=[0.0, 0.8], title_cosine=[0.2, 0.6])
    scores = model.scores(found, "neutral")
    assert scores[1] > scores[0]


def test_a_symptom_puts_the_known_error_before_the_catalog_item() -> None:
    model = Reranker.load()
    found = _candidates(fused=[0.5, 0.49])
    assert np.argmax(model.scores(found, "symptom")) == 1


def test_features_read_the_kind_of_entry_against_the_shape_of_the_query() -> None:
    rows = features(_candidates(fused=[0.5, 0.4]), "symptom")
    assert rows.shape == (2, len(FEATURES))
    named = dict(zip(FEATURES, rows[0], strict=True))
    assert named["catalog"] == 1.0 and named["symptom_catalog"] == 1.0
    assert named["symptom_article"] == 0.0
    assert dict(zip(FEATURES, rows[1], strict=True))["symptom_article"] == 1.0


def test_a_fit_learns_what_the_answers_share_and_round_trips(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    samples = []
    for n in range(80):
        x = rng.normal(0.0, 1.0, (5, len(FEATURES)))
        right = int(rng.integers(5))
        x[right, 3] += 3.0  # the answer's title covers the query
        samples.append(Sample(x, [right], True, np.full(5, 0.5), str(n), "all"))
    model = fit(samples, version=1, fitted_on="synthetic")
    assert max(range(len(FEATURES)), key=lambda i: model.weights[i]) == 3
    assert cross_validated(samples, shown_from=0.15)["all"].top1 > 0.8
    model.dump(tmp_path / "r.json")
    assert Reranker.load(tmp_path / "r.json").weights == pytest.approx(model.weights, abs=1e-5)


def test_a_short_french_text_has_more_of_its_first_entries_reordered() -> None:
    """Two words or fewer once stop words are left out (a word being typed too): eight in
    French; English keeps five however short."""
    assert SHORT_DEPTHS["fr"] == 8 and DEPTHS["fr"] == 6
    assert depth_for("fr", "licence pour") == 8  # "pour" is a stop word
    assert depth_for("fr", "demande de pc ") == 8
    assert depth_for("fr", "besoin droits a") == 8  # "a" is a stop word, even being typed
    assert depth_for("fr", "besoin droits admin") == 6
    assert depth_for("fr", "besoin droits admin local") == 6
    assert depth_for("en", "licence") == DEPTH == DEPTHS["en"]


def test_a_model_file_with_other_features_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('{"version": 1, "features": ["fused"], "weights": [1]}')
    with pytest.raises(ValueError, match="features"):
        Reranker.load(tmp_path / "r.json")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("access documents", "en", 5),
        ("outlook crash", "en", 5),
        ("need a new monitor", "en", 5),
        ("imprimante hs", "en", 5),
        ("imprimante hs", "fr", 8),
        ("besoin d'un nouvel ecran", "fr", 6),
    ],
)
async def test_only_the_first_few_are_reordered(
    components: Components, text: str, language: Language, expected: int
) -> None:
    """English: the first five; French: the first six, eight for a text of two words or fewer
    (`rerank.depth_for`)."""
    knowledge = components.knowledge
    index = knowledge.require()
    prepared = knowledge.prepare(SearchQuery(text, language, limit=10))
    depth = depth_for(language, prepared.query.text)
    assert depth == expected
    fused_only = Reranker(version=0, weights=(1.0,) + (0.0,) * (len(FEATURES) - 1))
    query, vector, match = prepared.query, prepared.vector, prepared.match
    fused = index.search(query, vector, lexical=match, reranker=fused_only)
    ranked = index.search(query, vector, lexical=match)
    assert [h.score for h in fused] == sorted((h.score for h in fused), reverse=True)
    groups = [h.entry.group for h in ranked]
    assert set(groups[:depth]) == {h.entry.group for h in fused[:depth]}
    assert groups[depth:] == [h.entry.group for h in fused[depth:]]
    assert [h.relevance for h in ranked[:depth]] == sorted(
        (h.relevance for h in ranked[:depth]), reverse=True
    )
