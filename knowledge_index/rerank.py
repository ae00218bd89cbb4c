"""Which of the best candidates comes first: a small learned re-ranker over the fused order.

The fused score (cosine raised by the words in common) finds the right entry among its first
five for nine employees' tickets in ten, but puts it first for six only: "access documents"
scores "Jira access" above "Get access to a shared folder", because both share the word and the
catalog item's short text sits close to any short query. A linear model over a few signals of
each of the first `DEPTH` entries (`depth_for`: six or eight in French) orders them better: the
fused score, its two parts, how much of the query the entry's own title covers (word for word and
by meaning), and the kind of entry against what the query asks (a symptom or a request). Its
weights were fitted on the tune split of the real-text set (`scripts/fit_reranker.py`, a
softmax over each query's candidates, chosen by cross-validation) and are read from
`rerank.json`; a query costs a dot product of a 5 (to 8) by 13 matrix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.kernel.language import Language
from knowledge_index import model_file
from knowledge_index.documents import EntryType
from knowledge_index.query_shape import Shape
from knowledge_index.text import STOP_WORDS, query_words

MODEL_PATH = Path(__file__).with_name("rerank.json")
# Re-ranking the first five only keeps the five entries shown first (recall@5 is that of the
# fused order) and moves the right one to the top (round 3, both languages together): on the
# tune split, cross-validated, top-1 rose as much as with 8, 10 or 20 candidates, and recall@5
# of half-typed texts fell with more.
DEPTH = 5
# French texts: the first six. On the tune split, cross-validated (round 5 of issue 19), French
# half-typed recall@5 rose from 0.789 to 0.842 (search) and 0.807 to 0.842 (omnibox), nothing
# falling; English half-typed recall@5 fell with six (0.897 to 0.880, omnibox), so English keeps
# five. With six, recall@5 may fall (an entry pushed from fifth to sixth), and did once on the
# project's own queries.
DEPTHS: Mapping[Language, int] = {"en": DEPTH, "fr": 6}
# A short French text (at most `SHORT_WORDS` words once stop words are left out: "licence pour",
# "demande de pc", "besoin droits a") says too little for the fused order to hold its answer
# among the first six: the re-ranker orders the first eight. Round 8 of issue 19, on the tune
# split enlarged with 111 French texts, cross-validated: French half-typed recall@5 0.757 to
# 0.801 (omnibox) and 0.765 to 0.793 (search), finished 0.946 to 0.954, French top-1 down by
# 0.008 at most. Eight for every French text lowered finished French top-1 by 0.016; eight
# for short English texts lowered English half-typed recall@5 by 0.010; five for the longer
# French texts lowered French half-typed "not sure" AUC by 0.012. Served with the re-ranker
# weights fitted before the split was enlarged (refitted, they lower the project's own French
# queries); docs/benchmarks/search-real-2026-12-05.md.
SHORT_WORDS = 2
SHORT_DEPTHS: Mapping[Language, int] = {"en": DEPTH, "fr": 8}
FEATURES = (
    "fused",
    "dense",
    "lexical",
    "title_coverage",
    "title_cosine",
    "catalog",
    "known_error",
    "faq",
    "action",
    "symptom_catalog",
    "symptom_article",
    "request_catalog",
    "neutral_catalog",
)
ARTICLES: frozenset[EntryType] = frozenset({"procedure", "faq", "known_error"})
Floats = npt.NDArray[np.float64]


def depth_for(language: Language, text: str) -> int:
    """How many of the first entries in fused order the re-ranker reorders for the query `text`
    in `language`: more when it has at most `SHORT_WORDS` words besides stop words ("a" being
    typed is left out as a stop word too)."""
    found, _ = query_words(text)
    if len([w for w in found if w not in STOP_WORDS]) <= SHORT_WORDS:
        return SHORT_DEPTHS.get(language, DEPTH)
    return DEPTHS.get(language, DEPTH)


@dataclass(frozen=True)
class Candidates:
    """The first entries of a search in fused order, one per group, with their signals: the
    fused score (type shifts and feedback included), the cosine and the word coverage of the
    passage that matched, and the coverage and cosine of the entry's title row."""

    fused: Floats
    dense: Floats
    lexical: Floats
    title_coverage: Floats
    title_cosine: Floats
    types: Sequence[EntryType]
    groups: Sequence[str]

    def __len__(self) -> int:
        return len(self.types)


def features(candidates: Candidates, shape: Shape) -> Floats:
    """One row per candidate, one column per name of `FEATURES`."""
    types = candidates.types

    def flag(test: bool | np.bool_) -> float:
        return 1.0 if test else 0.0

    kinds = np.asarray(
        [
            [
                flag(t == "catalog_item"),
                flag(t == "known_error"),
                flag(t == "faq"),
                flag(t == "action"),
                flag(shape == "symptom" and t == "catalog_item"),
                flag(shape == "symptom" and t in ARTICLES),
                flag(shape == "request" and t == "catalog_item"),
                flag(shape == "neutral" and t == "catalog_item"),
            ]
            for t in types
        ],
        dtype=np.float64,
    ).reshape(len(types), 8)
    signals = np.stack(
        [
            candidates.fused,
            candidates.dense,
            candidates.lexical,
            candidates.title_coverage,
            candidates.title_cosine,
        ],
        axis=1,
    ).reshape(len(types), 5)
    return np.hstack([signals, kinds])


@dataclass(frozen=True)
class Reranker:
    """`scores` are log-odds up to a constant per query: only their order and differences
    within one query mean something."""

    version: int
    weights: tuple[float, ...]
    fitted_on: str = ""

    def scores(self, candidates: Candidates, shape: Shape) -> Floats:
        if not len(candidates):
            return np.zeros(0)
        scored: Floats = features(candidates, shape) @ np.asarray(self.weights)
        return scored

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> Reranker:
        return model_file.load(cls, path, FEATURES)

    def dump(self, path: Path = MODEL_PATH) -> None:
        model_file.dump(self, path, FEATURES)


@cache
def default_reranker() -> Reranker:
    """The shipped model, read once per process on the first search."""
    return Reranker.load()
