"""Reading Rasa-format NLU files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SAMPLE_NLU_DIR
from nlu.data import TrainingDataInvalid, load_training_data, parse_example

pytestmark = pytest.mark.unit

REQUIRED_INTENTS = {
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "help",
    "cancel",
    "inform",
    "out_of_scope",
    "human_handoff",
    "password_reset",
    "account_locked",
    "mfa_problem",
    "vpn_problem",
    "wifi_problem",
    "email_problem",
    "printer_problem",
    "hardware_problem",
    "software_problem",
    "software_request",
    "access_request",
    "order_equipment",
    "open_incident",
    "incident_status",
    "report_outage",
}


def test_annotations_become_spans_and_values() -> None:
    example = parse_example(
        'my [outlook](software) is down for [the whole team]{"entity": "impact", "value": "team"}',
        "email_problem",
        "en",
    )
    assert example.text == "my outlook is down for the whole team"
    software, impact = example.entities
    assert (software.entity, software.value, software.start, software.end) == (
        "software",
        "outlook",
        3,
        10,
    )
    assert (impact.entity, impact.value, impact.text) == ("impact", "team", "the whole team")
    assert example.text[impact.start : impact.end] == "the whole team"


def test_sample_data_covers_every_intent_in_both_languages() -> None:
    data = load_training_data(SAMPLE_NLU_DIR)
    for language in ("en", "fr"):
        counts: dict[str, int] = {}
        for example in data.examples:
            if example.language == language:
                counts[example.intent] = counts.get(example.intent, 0) + 1
        assert set(counts) >= REQUIRED_INTENTS, REQUIRED_INTENTS - set(counts)
        assert min(counts.values()) >= 25
    assert data.synonyms["toute l'équipe"] == "team"
    assert "ticket_number" in data.regexes and "software" in data.lookups
    assert len(data.fingerprint) == 64


def test_fingerprint_changes_with_the_data(tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    path = tmp_path / "en" / "nlu.yml"
    path.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n')
    before = load_training_data(tmp_path).fingerprint
    path.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hello\n')
    assert load_training_data(tmp_path).fingerprint != before


def test_missing_or_broken_data_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataInvalid, match="GUICHET_NLU__DATA_DIR"):
        load_training_data(tmp_path)
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "nlu.yml").write_text("nlu: [unclosed\n")
    with pytest.raises(TrainingDataInvalid, match="invalid YAML"):
        load_training_data(tmp_path)
