"""The real-ticket intent set: its tune and held-back splits follow the search set's rule."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.app.cli.nlu import REAL_DIR
from bot.settings import PACKAGE_ROOT, SAMPLE_NLU_DIR
from nlu.data import Example, load_test_data, load_training_data
from nlu.real_split import SPLITS, render, source_rows, split_files, split_key, split_of
from nlu.validation import normalise

pytestmark = pytest.mark.unit
SEARCH_SET = PACKAGE_ROOT / "knowledge_index" / "eval" / "real"
ROWS = source_rows([SEARCH_SET / "tune.yaml", SEARCH_SET / "heldout.yaml"])


def _split(name: str) -> list[Example]:
    return load_test_data(REAL_DIR / name)


def test_every_text_is_in_the_split_its_key_names() -> None:
    for name in SPLITS:
        misplaced = [e.text for e in _split(name) if split_of(e, ROWS) != name]
        assert misplaced == [], name


def test_the_splits_are_disjoint_and_hold_the_whole_set() -> None:
    tune = {(e.language, normalise(e.text)) for e in _split("tune")}
    heldout = {(e.language, normalise(e.text)) for e in _split("heldout")}
    assert tune & heldout == set()
    counts = Counter(e.language for name in SPLITS for e in _split(name))
    assert counts == {"en": 144, "fr": 120}
    held = Counter(e.language for e in _split("heldout"))
    assert 0.25 < held["en"] / counts["en"] < 0.55 and 0.25 < held["fr"] / counts["fr"] < 0.55


def test_a_ticket_is_held_back_in_the_intent_set_when_it_is_in_the_search_set() -> None:
    search_split = {}
    for name in SPLITS:
        for query in yaml.safe_load((SEARCH_SET / f"{name}.yaml").read_text())["queries"]:
            search_split[(query["lang"], normalise(query["q"]))] = name
    keyed_by_row = 0
    for name in SPLITS:
        for example in _split(name):
            key = (example.language, normalise(example.text))
            if key in search_split:
                keyed_by_row += 1
                assert search_split[key] == name, example.text
                assert split_key(example, ROWS).startswith("endava-row-")
    assert keyed_by_row == 264 - 9


def test_a_text_without_a_source_row_is_keyed_by_its_words() -> None:
    example = Example(text="Accès au 4e étage", intent="out_of_scope", language="fr")
    key = split_key(example, ROWS)
    assert key == "nlu-real-fr-acces au 4e etage"
    held = int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < 40
    assert split_of(example, ROWS) == ("heldout" if held else "tune")


def test_the_split_files_read_back_as_written(tmp_path: Path) -> None:
    examples = _split("tune") + _split("heldout")
    for name, content in split_files(examples, ROWS).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    for name in SPLITS:
        written = sorted((e.language, e.intent, e.text) for e in load_test_data(tmp_path / name))
        kept = sorted((e.language, e.intent, e.text) for e in _split(name))
        assert written == kept
    assert "Held back" in render(_split("heldout"), "heldout")


def test_the_real_set_is_apart_from_the_training_data() -> None:
    training = {normalise(e.text) for e in load_training_data(SAMPLE_NLU_DIR).examples}
    leaked = [e.text for name in SPLITS for e in _split(name) if normalise(e.text) in training]
    assert leaked == []
