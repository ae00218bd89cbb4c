"""How sure a search is that its first result answers: a small calibrated model, not one score.

The best fused score alone told answerable employees' tickets from unanswerable ones little
better than chance: a ticket about an application the knowledge base never covers lands on the
password articles with a fair score. A logistic regression over a few signals does better: the
best score, its margin to the next entry, how much of the query the best passage covers word for
word, the share of the query in words the index does not know at all, the cosine alone of
the first result, how much of the query its title and its whole entry cover, the share of
catalog items among the first results, and how many entries the words match alike. Its
coefficients were fitted on the tune split of the real-text set (`scripts/fit_abstention.py`)
and are read from `abstention.json`, a small versioned file; nothing is trained at run time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from knowledge_index import model_file
from knowledge_index.index import Hit
from knowledge_index.lexical import LexicalMatch

MODEL_PATH = Path(__file__).with_name("abstention.json")
FEATURES = (
    "best",
    "margin",
    "coverage",
    "unknown",
    "dense",
    "title_coverage",
    "title_cosine",
    "entry_coverage",
    "catalog",
    "rivals",
)
# `catalog` is the share of catalog items among this many first results.
CATALOG_DEPTH = 3


def features(hits: Sequence[Hit], match: LexicalMatch) -> list[float]:
    """The signals of one search, in the order of `FEATURES`. `dense` is the cosine alone of
    the first result's passage: a fused score lifted by shared words ("licenses", "reset the
    oracle password") means less than one its meaning agrees with (cross-validated AUC on the
    tune split 0.707 without it, 0.717 with it). `title_coverage` and `title_cosine` say how
    much of the query the first result's own title covers: a ticket that only brushes an
    entry's body ("oracle fusion password" and the password articles) rarely matches a title
    (with the re-ranker, cross-validated AUC on the tune split 0.743 without them, 0.760 with
    them; English finished texts 0.791 and 0.805).

    `entry_coverage` is how much of the query the first entry's passages and tags cover
    together, where `coverage` counts its best passage alone; `catalog` is the share of catalog
    items among the first three results (an unanswerable ticket, about one of the company's
    own applications, lands among articles far more often than among the catalog's things to
    order); `rivals` is the logarithm of one plus the number of entries the words match about
    as well as the best passage (a bare "licenses" or "access" matches many equally).
    With the round's reading of short and cut last words, on the tune split, cross-validated
    (round 6 of issue 19): English finished texts 0.837 to 0.851, half-typed 0.814 to 0.835;
    French 0.821 to 0.849, half-typed 0.785 to 0.786."""
    best = hits[0].score if hits else 0.0
    second = hits[1].score if len(hits) > 1 else 0.0
    coverage = float(match.coverage.max()) if match.coverage.size else 0.0
    first = hits[0] if hits else None
    return [
        best,
        best - second if first else 0.0,
        coverage,
        match.unknown,
        first.dense if first else 0.0,
        first.title_coverage if first else 0.0,
        first.title_cosine if first else 0.0,
        first.entry_coverage if first else 0.0,
        sum(hit.entry.type == "catalog_item" for hit in hits[:CATALOG_DEPTH]) / CATALOG_DEPTH,
        math.log1p(match.rivals),
    ]


@dataclass(frozen=True)
class AbstentionModel:
    """`confidence` is the probability that the first result answers the query."""

    version: int
    weights: tuple[float, ...]
    intercept: float
    fitted_on: str = ""

    def confidence(self, values: Sequence[float]) -> float:
        z = self.intercept + sum(w * x for w, x in zip(self.weights, values, strict=True))
        return 1.0 / (1.0 + math.exp(-z))

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> AbstentionModel:
        return model_file.load(cls, path, FEATURES)

    def dump(self, path: Path = MODEL_PATH) -> None:
        model_file.dump(self, path, FEATURES)


@dataclass(frozen=True)
class Verdict:
    """How likely the query is answered; whether search and the omnibox say so (`sure`), and
    whether the chat gives the first result as the answer outright (`answer`)."""

    confidence: float
    sure: bool
    answer: bool


@dataclass(frozen=True)
class Sureness:
    """The one place that decides "sure", for search, the omnibox and the chat: the model's
    confidence against `knowledge.confidence_threshold`, and, for the chat to answer outright
    rather than offer the closest articles, against `knowledge.chat_answer_confidence`.

    Two levels of one confidence because a wrong answer costs more in the chat than a heading
    does in the omnibox: the model says whether a query is answerable, and on the tune split
    the chat (articles only) at 0.5 answered 71 of 96 answerable English tickets outright but
    only 34 rightly, and 27 of 70 unanswerable ones; at 0.7, 25 (16 rightly) and 6.
    """

    model: AbstentionModel
    threshold: float
    answer_threshold: float = 0.7

    def judge(self, hits: Sequence[Hit], match: LexicalMatch) -> Verdict:
        confidence = self.model.confidence(features(hits, match))
        found = bool(hits)
        return Verdict(
            confidence,
            sure=found and confidence >= self.threshold,
            answer=found and confidence >= max(self.threshold, self.answer_threshold),
        )
