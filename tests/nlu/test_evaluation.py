"""The held-out test set, the metrics, and the embedded engine's targets on it."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.app.cli.nlu import EVAL_DIR
from bot.services import Components
from bot.settings import SAMPLE_NLU_DIR
from nlu.data import EntitySpan, Example, load_test_data, load_training_data
from nlu.evaluation import Prediction, evaluate, score
from nlu.protocol import Entity, IntentScore, ParseResult
from nlu.validation import normalise


def _prediction(text: str, gold: str, got: str, confidence: float = 0.9) -> Prediction:
    example = Example(text=text, intent=gold, language="en")
    return Prediction(
        example,
        ParseResult(
            text=text,
            intent=got,
            confidence=confidence,
            ranking=[IntentScore(name=got, confidence=confidence)],
        ),
    )


@pytest.mark.unit
def test_the_test_set_is_apart_from_the_training_data() -> None:
    test = load_test_data(EVAL_DIR)
    training = {normalise(e.text) for e in load_training_data(SAMPLE_NLU_DIR).examples}
    assert [e.text for e in test if normalise(e.text) in training] == []
    counts = Counter((e.language, e.intent) for e in test)
    intents = {intent for _, intent in counts}
    assert len(intents) == 26
    assert min(counts[(language, i)] for language in ("en", "fr") for i in intents) >= 15
    assert sum(n for (_, intent), n in counts.items() if intent == "out_of_scope") >= 100


@pytest.mark.unit
def test_scores_by_hand() -> None:
    predictions = [
        _prediction("a", "greet", "greet"),
        _prediction("b", "greet", "goodbye"),
        _prediction("c", "goodbye", "goodbye"),
        _prediction("d", "out_of_scope", "nlu_fallback", 0.2),
        _prediction("e", "out_of_scope", "greet"),
    ]
    report = score("en", predictions)
    greet, goodbye, oos = (report.intents[i] for i in ("greet", "goodbye", "out_of_scope"))
    assert (greet.precision, greet.recall) == (0.5, 0.5)
    assert (goodbye.precision, goodbye.recall) == (0.5, 1.0)
    assert (oos.precision, oos.recall) == (1.0, 0.5)  # nlu_fallback counts as out of scope
    assert report.macro_f1 == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert report.accuracy == 0.6
    assert ("greet", "goodbye", 1) in report.confusions
    assert ("out_of_scope", "greet", 1) in report.confusions
    # bins: four at 0.9 (two right), one at 0.2 (right) -> 4/5*|0.9-0.5| + 1/5*|0.2-1|
    assert report.calibration_error == pytest.approx(0.8 * 0.4 + 0.2 * 0.8)


@pytest.mark.unit
def test_entity_scores_are_per_token() -> None:
    text = "my laptop since this morning"
    example = Example(
        text=text,
        intent="inform",
        language="en",
        entities=[
            EntitySpan(entity="device", start=3, end=9, text="laptop", value="laptop"),
            EntitySpan(entity="time", start=10, end=28, text=text[10:], value=text[10:]),
        ],
    )
    found = ParseResult(
        text=text,
        intent="inform",
        confidence=1.0,
        entities=[
            Entity(entity="device", value="laptop", text="laptop", start=3, end=9, extractor="x"),
            Entity(entity="time", value="m", text="morning", start=21, end=28, extractor="x"),
        ],
    )
    report = score("en", [Prediction(example, found)])
    assert report.entities["device"].f1 == 1.0
    assert report.entities["time"].precision == 1.0
    assert report.entities["time"].recall == pytest.approx(1 / 3)
    assert report.entity_f1.recall == pytest.approx(2 / 4)


@pytest.mark.slow
async def test_embedded_engine_meets_the_targets(components: Components) -> None:
    reports = {r.name: r for r in await evaluate(components.parser, load_test_data(EVAL_DIR))}
    for language in ("en", "fr"):
        report = reports[language]
        assert report.macro_f1 >= 0.92, (language, report.confusions[:10])
        assert report.out_of_scope.recall >= 0.90, language
        assert report.out_of_scope.precision >= 0.90, language
        assert report.entity_f1.f1 >= 0.85, (language, report.entities)
    assert reports["all"].calibration_error <= 0.05
