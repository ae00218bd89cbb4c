"""`guichet eval nlu`: the named sets, the real set's splits, and Rasa DIET beside Guichet."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.app.cli.nlu import EVAL_DIR, REAL_DIR
from bot.app.cli.nlu_eval import EvalSet, RealSplit, labelled_sets
from nlu.data import load_test_data
from tests.cli import invoke
from tests.conftest import CACHE

TINY_DATA = Path(__file__).parent / "tiny_nlu"
# Its own data folder: the tiny models (embedded and Rasa, cached by content) never replace
# the ones the rest of the suite trains on Guichet's data in CACHE.
TINY_CACHE = CACHE / "tiny-nlu"
TINY_RASA_EPOCHS = 30


def _guichet(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Through the script's entry point in this process (tests/cli.py): the report, the files
    and the exit code are under test; Rasa still trains and serves in processes of its own."""
    environment = {"GUICHET_DATA_DIR": str(TINY_CACHE), "GUICHET_NLU__DATA_DIR": str(TINY_DATA)}
    return invoke(["eval", "nlu", *args], environment)


def _messages(split: str) -> dict[str, int]:
    examples = load_test_data(REAL_DIR / split)
    return {language: sum(e.language == language for e in examples) for language in ("en", "fr")}


@pytest.mark.unit
def test_the_real_set_is_scored_tune_first_and_held_back_last() -> None:
    assert labelled_sets(None, EvalSet.DEFAULT, RealSplit.ALL) == [("default", EVAL_DIR)]
    assert labelled_sets(None, EvalSet.REAL, RealSplit.ALL) == [
        ("real tune", REAL_DIR / "tune"),
        ("real heldout", REAL_DIR / "heldout"),
    ]
    assert labelled_sets(None, EvalSet.REAL, RealSplit.TUNE) == [("real tune", REAL_DIR / "tune")]
    assert labelled_sets(Path("x/test.yml"), EvalSet.REAL, RealSplit.ALL) == [
        ("test.yml", Path("x/test.yml"))
    ]


@pytest.mark.slow
def test_comparing_an_engine_with_itself_is_refused() -> None:
    completed = _guichet(["--engine", "rasa", "--compare", "rasa"])
    assert completed.returncode == 2
    assert "--compare rasa needs another --engine" in completed.stdout


@pytest.mark.slow
def test_an_unknown_set_is_named() -> None:
    completed = _guichet(["--set", "synthetic"])
    assert completed.returncode == 2
    assert "--set" in completed.stderr and "synthetic" in completed.stderr


@pytest.mark.slow
def test_tune_split_alone_never_scores_the_held_back_texts(tmp_path: Path) -> None:
    completed = _guichet(["--set", "real", "--split", "tune", "--json", str(tmp_path / "f.json")])
    assert completed.returncode == 0, completed.stdout + completed.stderr
    reports = json.loads((tmp_path / "f.json").read_text())["reports"]
    assert {r["set"] for r in reports} == {"real tune"}
    assert {r["language"]: r["messages"] for r in reports if r["language"] != "all"} == (
        _messages("tune")
    )
    assert "real heldout" not in completed.stdout


@pytest.mark.integration
@pytest.mark.slow
def test_compare_rasa_prints_both_engines_per_split_and_language(tmp_path: Path) -> None:
    completed = _guichet(
        [
            "--set",
            "real",
            "--compare",
            "rasa",
            "--rasa-epochs",
            str(TINY_RASA_EPOCHS),
            "--json",
            str(tmp_path / "figures.json"),
        ]
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert out.index("real tune: embedded vs rasa") < out.index("real heldout: embedded vs rasa")
    for column in ("macro-F1", "out-of-scope P", "out-of-scope R", "parse p95 (ms)"):
        assert column in out
    reports = json.loads((tmp_path / "figures.json").read_text())["reports"]
    by_key = {(r["set"], r["engine"], r["language"]): r for r in reports}
    for split in ("tune", "heldout"):
        for language, messages in _messages(split).items():
            for engine in ("embedded", "rasa"):
                report = by_key[(f"real {split}", engine, language)]
                assert report["messages"] == messages
                assert report["parse_p95_ms"] > 0
                # Both engines learnt the tiny set's equipment intent: real models answered.
                assert report["intents"]["order_equipment"] > 0, (engine, split, language)
    rasa_tune = by_key[("real tune", "rasa", "all")]
    embedded_tune = by_key[("real tune", "embedded", "all")]
    assert rasa_tune["confusions"] != embedded_tune["confusions"]  # two models, not one twice
