"""The embedded intent engine on utterances it never saw in training, in both languages."""

from __future__ import annotations

import pytest

from bot.services import Components
from nlu.data import load_training_data
from nlu.embedded import MODEL_FILE, load_or_train

pytestmark = pytest.mark.slow

# Written for this test, not copied from the training files.
HELD_OUT = [
    ("good morning guichet", "greet"),
    ("salut à toi", "greet"),
    ("I can't remember my password and I'm stuck at the login screen", "password_reset"),
    ("j'ai perdu mon mot de passe windows", "password_reset"),
    ("GlobalProtect won't connect from my home network", "vpn_problem"),
    ("impossible de me connecter au vpn depuis chez moi", "vpn_problem"),
    ("the printer on floor 2 is jammed again", "printer_problem"),
    ("l'imprimante fait des traces sur les pages", "printer_problem"),
    ("I would like a second monitor for my desk", "order_equipment"),
    ("je voudrais un casque pour mes réunions teams", "order_equipment"),
    ("any news on INC-000042?", "incident_status"),
    ("où en est ma demande REQ-000017 ?", "incident_status"),
    ("can I speak to a real person please", "human_handoff"),
    ("je préfère parler à quelqu'un", "human_handoff"),
    ("what's the weather like in Lyon tomorrow", "out_of_scope"),
    ("combien de jours de congés il me reste", "out_of_scope"),
    ("laisse tomber", "cancel"),
    ("never mind, forget it", "cancel"),
]


@pytest.mark.parametrize(("text", "intent"), HELD_OUT)
async def test_held_out_utterances(components: Components, text: str, intent: str) -> None:
    result = await components.parser.parse(text, language="en")
    assert result.intent == intent, result.ranking[:3]
    assert 0.0 <= result.confidence <= 1.0


async def test_held_out_accuracy_and_ranking(components: Components) -> None:
    results = [await components.parser.parse(text, language="en") for text, _ in HELD_OUT]
    assert all(r.ranking[0].confidence >= r.ranking[1].confidence for r in results)
    assert all(abs(sum(s.confidence for s in r.ranking) - 1) < 0.2 for r in results)


async def test_gibberish_falls_back(components: Components) -> None:
    result = await components.parser.parse("qwfp arst zxcv", language="en")
    assert result.intent == "nlu_fallback"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status of inc-104233 please", {("ticket_number", "INC-104233")}),
        ("tout le service est bloqué, c'est urgent", {("impact", "team"), ("urgency", "critical")}),
        ("only me, it can wait", {("impact", "person"), ("urgency", "low")}),
        ("write to jo.doe@norvane.example", {("email", "jo.doe@norvane.example")}),
        ("mon écran reste noir", {("device", "screen")}),
    ],
)
async def test_entities(components: Components, text: str, expected: set[tuple[str, str]]) -> None:
    result = await components.parser.parse(text, language="en")
    assert expected <= {(e.entity, e.value) for e in result.entities}
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text


def test_model_is_reused_until_the_data_changes(components: Components, tmp_path) -> None:
    from bot.settings import SAMPLE_NLU_DIR

    data = load_training_data(SAMPLE_NLU_DIR)
    data.examples = data.examples[::20]  # a small sample keeps training quick here
    cached = load_or_train(data, components.embedder, tmp_path)
    modified = (tmp_path / MODEL_FILE).stat().st_mtime_ns
    again = load_or_train(data, components.embedder, tmp_path)
    assert (tmp_path / MODEL_FILE).stat().st_mtime_ns == modified
    assert again.labels == cached.labels
    data.fingerprint = "changed"
    retrained = load_or_train(data, components.embedder, tmp_path)
    assert retrained.fingerprint == "changed"
