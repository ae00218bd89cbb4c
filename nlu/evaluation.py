"""Scores an `IntentParser` on a held-out Rasa-format test set, like `rasa test nlu`.

Intents: precision, recall and F1 per intent, their macro average, the most frequent confusions.
Out of scope: `out_of_scope` and `nlu_fallback` both mean "not something Guichet handles", so a
prediction of either counts as out of scope. Entities: token-level precision, recall and F1 per
entity type (as Rasa reports them). Calibration: the expected calibration error of the top
confidence over ten bins. Speed: the 95th percentile of the time each parse took.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bot.kernel.language import Language
from nlu.data import Example
from nlu.protocol import FALLBACK_INTENT, IntentParser, ParseResult

OUT_OF_SCOPE = "out_of_scope"
NOT_UNDERSTOOD = frozenset({OUT_OF_SCOPE, FALLBACK_INTENT})
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def of(cls, true_positive: int, predicted: int, actual: int) -> Score:
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, actual)


@dataclass
class Prediction:
    example: Example
    result: ParseResult
    milliseconds: float = 0.0

    @property
    def intent(self) -> str:
        return OUT_OF_SCOPE if self.result.intent in NOT_UNDERSTOOD else self.result.intent


@dataclass
class Report:
    name: str
    predictions: list[Prediction]
    intents: dict[str, Score] = field(default_factory=dict)
    entities: dict[str, Score] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    macro_f1: float = 0.0
    accuracy: float = 0.0
    out_of_scope: Score = Score(0, 0, 0, 0)
    entity_f1: Score = Score(0, 0, 0, 0)
    calibration_error: float = 0.0
    parse_p95_ms: float = 0.0


def _intent_scores(predictions: Sequence[Prediction]) -> dict[str, Score]:
    gold = Counter(p.example.intent for p in predictions)
    predicted = Counter(p.intent for p in predictions)
    hits = Counter(p.intent for p in predictions if p.intent == p.example.intent)
    return {
        intent: Score.of(hits[intent], predicted[intent], gold[intent]) for intent in sorted(gold)
    }


def _token_tags(text: str, spans: Sequence[tuple[str, int, int]]) -> list[str]:
    tags = []
    for token in _TOKEN.finditer(text):
        tag = next(
            (name for name, start, end in spans if start < token.end() and token.start() < end),
            "",
        )
        tags.append(tag)
    return tags


def _entity_scores(predictions: Sequence[Prediction]) -> tuple[dict[str, Score], Score]:
    true_positive: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    for p in predictions:
        text = p.example.text
        gold = _token_tags(text, [(s.entity, s.start, s.end) for s in p.example.entities])
        found = _token_tags(text, [(e.entity, e.start, e.end) for e in p.result.entities])
        for expected, got in zip(gold, found, strict=True):
            actual[expected] += bool(expected)
            predicted[got] += bool(got)
            true_positive[got] += bool(got) and got == expected
    names = sorted(name for name in actual | predicted if name)
    per_entity = {
        name: Score.of(true_positive[name], predicted[name], actual[name]) for name in names
    }
    overall = Score.of(sum(true_positive.values()), sum(predicted.values()), sum(actual.values()))
    return per_entity, overall


def _calibration_error(predictions: Sequence[Prediction], bins: int = 10) -> float:
    """Gap between confidence and accuracy, averaged over confidence bins (weighted by size)."""
    if not predictions:
        return 0.0
    totals: dict[int, list[tuple[float, bool]]] = {}
    for p in predictions:
        top = p.result.ranking[0] if p.result.ranking else None
        confidence = top.confidence if top else 0.0
        label = top.name if top else OUT_OF_SCOPE
        label = OUT_OF_SCOPE if label in NOT_UNDERSTOOD else label
        index = min(int(confidence * bins), bins - 1)
        totals.setdefault(index, []).append((confidence, label == p.example.intent))
    error = 0.0
    for members in totals.values():
        mean_confidence = sum(c for c, _ in members) / len(members)
        accuracy = sum(ok for _, ok in members) / len(members)
        error += len(members) / len(predictions) * abs(mean_confidence - accuracy)
    return error


def _p95(samples: Sequence[float]) -> float:
    ordered = sorted(samples)
    return ordered[round(0.95 * (len(ordered) - 1))] if ordered else 0.0


def score(name: str, predictions: list[Prediction]) -> Report:
    """All the figures for one group of predictions (one language, or all)."""
    report = Report(name=name, predictions=predictions)
    report.intents = _intent_scores(predictions)
    report.macro_f1 = (
        sum(s.f1 for s in report.intents.values()) / len(report.intents) if report.intents else 0.0
    )
    report.accuracy = (
        sum(p.intent == p.example.intent for p in predictions) / len(predictions)
        if predictions
        else 0.0
    )
    pairs = Counter(
        (p.example.intent, p.intent) for p in predictions if p.intent != p.example.intent
    )
    report.confusions = [(gold, got, n) for (gold, got), n in pairs.most_common()]
    oos_gold = sum(p.example.intent == OUT_OF_SCOPE for p in predictions)
    oos_predicted = sum(p.intent == OUT_OF_SCOPE for p in predictions)
    oos_hits = sum(p.intent == OUT_OF_SCOPE == p.example.intent for p in predictions)
    report.out_of_scope = Score.of(oos_hits, oos_predicted, oos_gold)
    report.entities, report.entity_f1 = _entity_scores(predictions)
    report.calibration_error = _calibration_error(predictions)
    report.parse_p95_ms = _p95([p.milliseconds for p in predictions])
    return report


async def evaluate(
    parser: IntentParser,
    examples: Sequence[Example],
    progress: Callable[[int, int], None] | None = None,
) -> list[Report]:
    """One report per language of the test set, then one for all of it."""
    predictions = []
    for done, example in enumerate(examples, start=1):
        language: Language = "fr" if example.language == "fr" else "en"
        started = time.perf_counter()
        result = await parser.parse(example.text, language=language)
        elapsed = (time.perf_counter() - started) * 1000
        predictions.append(Prediction(example, result, elapsed))
        if progress:
            progress(done, len(examples))
    languages = sorted({p.example.language for p in predictions})
    reports = [
        score(language, [p for p in predictions if p.example.language == language])
        for language in languages
    ]
    if len(languages) > 1:
        reports.append(score("all", predictions))
    return reports
