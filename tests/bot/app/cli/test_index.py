"""`guichet index build|update|status` and `guichet eval search`, run as a user would."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot.settings import SAMPLE_KB_DIR
from knowledge_index.documents import KnowledgeContent
from tests.cli import invoke

pytestmark = pytest.mark.slow


def _run(args: list[str], data: Path, kb: Path) -> subprocess.CompletedProcess[str]:
    """In this process: what these commands print and exit with is under test, not the process."""
    return invoke(args, {"GUICHET_DATA_DIR": str(data), "GUICHET_KNOWLEDGE__KB_DIR": str(kb)})


def _small_kb(kb: Path) -> Path:
    """A few articles of the sample in both languages (one not in Markdown) and its catalog and
    actions: the commands do the same work as on the whole sample, on fewer passages to embed."""
    for language in ("en", "fr"):
        (kb / "articles" / language).mkdir(parents=True)
        for name in ("vpn-connect.md", "printer-add.md", "meeting-room-screen-sharing.html"):
            shutil.copy(SAMPLE_KB_DIR / "articles" / language / name, kb / "articles" / language)
    for name in ("actions.yaml", "catalog.yaml"):
        shutil.copy(SAMPLE_KB_DIR / name, kb)
    return kb


def test_build_status_update(tmp_path: Path) -> None:
    kb, data = _small_kb(tmp_path / "kb"), tmp_path / "var"
    missing = _run(["index", "status"], data, kb)
    assert missing.returncode == 1 and "guichet index build" in missing.stdout

    built = _run(["index", "build"], data, kb)
    assert built.returncode == 0, built.stderr
    entries = len(KnowledgeContent.load(kb).entries())
    assert f"{entries} entries" in built.stdout and f"{entries} added" in built.stdout
    assert "Embedding passages" in built.stdout  # the progress bar

    status = _run(["index", "status"], data, kb)
    assert status.returncode == 0 and "Up to date" in status.stdout
    assert "use-multilingual" in status.stdout

    (kb / "articles" / "en" / "vpn-connect.md").unlink()
    stale = _run(["index", "status"], data, kb)
    assert stale.returncode == 1 and "1 to remove" in stale.stdout

    updated = _run(["index", "update"], data, kb)
    assert updated.returncode == 0, updated.stderr
    assert "1 removed" in updated.stdout and "0 passages embedded" in updated.stdout


def test_eval_search_prints_the_metrics(tmp_path: Path) -> None:
    data = tmp_path / "queries.yaml"
    data.write_text(
        "queries:\n"
        "  - {lang: fr, q: mot de passe oublié, expect: [reset-password, action-reset-password]}\n"
        "  - {lang: en, q: outlook crashes at startup, expect: [outlook-crash-startup]}\n"
        "  - {lang: en, q: lunch menu today, expect: []}\n"
    )
    result = _run(
        ["eval", "search", "--data", str(data), "--check"], tmp_path / "var", SAMPLE_KB_DIR
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recall@5" in result.stdout and "MRR" in result.stdout
    assert "100.0% answered 'not sure'" in result.stdout
    missing = _run(
        ["eval", "search", "--data", str(tmp_path / "nope.yaml")], tmp_path, SAMPLE_KB_DIR
    )
    assert missing.returncode == 2 and "nope.yaml" in missing.stderr
