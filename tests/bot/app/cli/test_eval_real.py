"""`guichet eval search --set real`, run as a user would, on the tests' tiny labelled set."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli import invoke
from tests.conftest import CACHE, POSTGRES_ADMIN

pytestmark = [pytest.mark.slow, pytest.mark.integration]
TINY_SET = Path(__file__).parents[3] / "knowledge_index" / "real_eval" / "data"


def _eval(*args: str) -> subprocess.CompletedProcess[str]:
    """Through the script's entry point in this process (tests/cli.py): the report and the exit
    code are under test, not the process."""
    environment = {
        # the index the other tests built and cached
        "GUICHET_DATA_DIR": str(CACHE),
        "GUICHET_EVAL_POSTGRES": POSTGRES_ADMIN,
    }
    return invoke(["eval", "search", "--set", "real", *args], environment)


def test_search_and_omnibox_are_printed_beside_the_peers(tmp_path: Path) -> None:
    shutil.copytree(TINY_SET, tmp_path / "real")
    result = _eval("--real-dir", str(tmp_path / "real"), "--markdown", "--write-baseline")
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    for system in ("guichet search", "guichet omnibox", "postgres-fts", "bm25s"):
        assert system in out
    for heading in ("top-1", "recall@5", "MRR@10", "AUC not sure", "abstain P", "abstain R"):
        assert heading in out
    assert "tune split · English · full text" in out
    assert "HELD-BACK split (never read by tuning) · French · half-typed" in out
    # the Markdown for docs/benchmarks: a table per split, language and form
    assert out.count("| system | answerable / none | top-1 |") == 8
    assert "| postgres-fts | 6 / 2 |" in out  # the tune split's English answerable / none
    assert "recall5:" in (tmp_path / "real" / "baseline.yaml").read_text()


def test_check_fails_and_names_the_missed_targets(tmp_path: Path) -> None:
    # Without an unanswerable query, "not sure" cannot be judged: its target is missed.
    (tmp_path / "heldout.yaml").write_text(
        "version: 1\nqueries:\n"
        "  - {id: x-1, lang: en, q: outlook crashes at startup, expect: [outlook-crash-startup]}\n"
        "  - {id: x-2, lang: fr, q: outlook plante au demarrage, expect: [outlook-crash-startup]}\n"
    )
    result = _eval("--real-dir", str(tmp_path), "--split", "heldout", "--check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Target missed: heldout en full guichet search: auc n/a < 0.8" in result.stdout
    assert "tune split" not in result.stdout
    unchecked = _eval("--real-dir", str(tmp_path), "--split", "heldout", "--no-peers")
    assert unchecked.returncode == 0 and "Target missed" in unchecked.stdout


def test_a_label_naming_no_entry_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tune.yaml").write_text(
        "version: 1\nqueries:\n"
        "  - {id: x-1, lang: en, q: printer jammed, expect: [printer-jammed], source: x}\n"
    )
    result = _eval("--real-dir", str(tmp_path), "--split", "tune", "--no-peers")
    assert result.returncode == 2
    assert "Unknown group 'printer-jammed' expected by x-1" in result.stdout


def test_a_missing_split_file_is_named(tmp_path: Path) -> None:
    result = _eval("--real-dir", str(tmp_path), "--split", "heldout", "--no-peers")
    assert result.returncode == 2
    assert "heldout.yaml" in result.stdout
