"""`guichet train` refuses bad data and says where: file, line, reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SAMPLE_NLU_DIR
from nlu.data import TrainingDataInvalid, load_training_data
from nlu.validation import TrainingDataRejected, check_training_data, find_problems
from tests.cli import invoke

pytestmark = pytest.mark.unit


def _write(folder: Path, language: str, body: str) -> Path:
    (folder / language).mkdir(parents=True, exist_ok=True)
    path = folder / language / "nlu.yml"
    path.write_text('version: "3.1"\nnlu:\n' + body)
    return path


def _intent(name: str, examples: list[str]) -> str:
    return f"- intent: {name}\n  examples: |\n" + "".join(f"    - {e}\n" for e in examples)


GREETS = [f"hello number {i}" for i in range(3)]
BYES = [f"bye number {i}" for i in range(3)]


def test_the_sample_data_passes_with_25_examples_per_intent_and_language() -> None:
    assert find_problems(load_training_data(SAMPLE_NLU_DIR), min_examples=25) == []


def test_examples_know_their_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "en", _intent("greet", GREETS) + _intent("goodbye", BYES))
    data = load_training_data(tmp_path)
    lines = path.read_text().splitlines()
    for example in data.examples:
        assert example.path == str(path)
        assert lines[example.line - 1].strip() == f"- {example.text}"


def test_unknown_entity_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "en",
        _intent("greet", [*GREETS, "hi from [Lyon](city)"]) + _intent("goodbye", BYES),
    )
    problems = find_problems(load_training_data(tmp_path), min_examples=3)
    assert [str(p) for p in problems] == [
        f"{path}:8: unknown entity 'city' in 'Lyon'; known: device, email, impact, "
        "software, ticket_number, time, urgency"
    ]


def test_duplicate_across_intents_names_both_places(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "en",
        _intent("greet", [*GREETS, "See you!"]) + _intent("goodbye", [*BYES, "see you"]),
    )
    (problem,) = find_problems(load_training_data(tmp_path), min_examples=3)
    assert problem.location == f"{path}:14"
    assert "'see you' is an example of 'goodbye' and also of 'greet'" in problem.reason
    assert f"{path}:8)" in problem.reason


def test_too_few_examples_and_missing_language(tmp_path: Path) -> None:
    en = _write(tmp_path, "en", _intent("greet", GREETS) + _intent("goodbye", BYES[:1]))
    _write(tmp_path, "fr", _intent("greet", ["bonjour", "salut", "coucou"]))
    reasons = [str(p) for p in find_problems(load_training_data(tmp_path), min_examples=3)]
    assert f"{en}:8: intent 'goodbye' has 1 example(s) in 'en'; at least 3 are needed" in reasons
    assert any("intent 'goodbye' has no example in 'fr'" in r for r in reasons)


def test_regex_and_lookup_must_name_known_entities(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "en",
        _intent("greet", GREETS)
        + _intent("goodbye", BYES)
        + "- regex: room\n  examples: |\n    - \\bB\\d+\\b\n",
    )
    (problem,) = find_problems(load_training_data(tmp_path), min_examples=3)
    assert str(problem) == f"{path}:13: regex for unknown entity 'room'"


def test_broken_annotation_is_a_located_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "en", _intent("greet", ['hi [team]{"entity": impact}']))
    with pytest.raises(TrainingDataInvalid, match=f"{path}:5: entity annotation"):
        load_training_data(tmp_path)


def test_check_raises_one_error_listing_everything(tmp_path: Path) -> None:
    _write(tmp_path, "en", _intent("greet", ["hi [x](city)"]) + _intent("goodbye", ["hi x"]))
    with pytest.raises(TrainingDataRejected) as caught:
        check_training_data(load_training_data(tmp_path), min_examples=2)
    assert caught.value.fields["count"] == len(caught.value.problems) == 4
    assert "nothing was trained" in str(caught.value)


@pytest.mark.slow
def test_guichet_train_stops_with_file_line_and_reason(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "en",
        _intent("greet", [*GREETS, "hi [Lyon](city)"])
        + _intent("goodbye", [*BYES, "hello number 0"]),
    )
    completed = invoke(  # in this process (tests/cli.py): the message and exit code are tested
        ["train"],
        {
            "GUICHET_DATA_DIR": str(tmp_path / "var"),
            "GUICHET_NLU__DATA_DIR": str(tmp_path),
            "GUICHET_NLU__MIN_EXAMPLES": "3",
        },
        columns=250,
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    output = " ".join(completed.stdout.split())
    assert f"{path}:8: unknown entity 'city' in 'Lyon'" in output
    assert f"{path}:14: 'hello number 0' is an example of 'goodbye' and also of 'greet'" in output
    assert not (tmp_path / "var" / "models").exists()
