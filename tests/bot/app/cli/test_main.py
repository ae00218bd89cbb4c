"""The `guichet` command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import invoke
from tests.conftest import CACHE

pytestmark = pytest.mark.slow
GUICHET = [sys.executable, "-m", "bot.app.cli"]


def _run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GUICHET_DATA_DIR": str(CACHE),
        "GUICHET_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "COLUMNS": "200",
        **env,
    }
    return subprocess.run(
        [*GUICHET, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def _in_process(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """As `_run`, in this process: for the commands whose process boundary is not under test."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    return invoke(args, {"GUICHET_DATA_DIR": str(CACHE), "GUICHET_DATABASE_URL": database, **env})


def test_chat_holds_a_conversation_in_both_languages(components, tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "hello",
                "my outlook crashes at startup",
                "2",  # button 2: "No, still a problem"
                "only me",
                "cancel",
                "bonjour",
                "je veux ouvrir un ticket",
                "le clavier de mon portable ne répond plus",
                "juste moi",
                "ça peut attendre",
                "oui",
            ]
        )
        + "\n"
    )
    result = _run(["chat", "--user", "cli@norvane.example"], tmp_path, stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Hello! I'm Guichet" in out
    assert "Outlook" in out and "Did that solve your problem?" in out
    assert "Who is affected?" in out and "cancelled" in out
    assert "Bonjour\u202f! Je suis Guichet" in out
    assert "Décrivez le problème" in out and "Quelle est l'urgence\u202f?" in out
    assert "Le ticket INC-000001 est créé avec la priorité P5" in out


def test_doctor_reports_ok_then_names_what_is_wrong(components, tmp_path: Path) -> None:
    ok = _in_process(["doctor"], tmp_path)
    assert ok.returncode == 0, ok.stdout
    assert "Everything looks fine" in ok.stdout
    broken = _in_process(
        ["doctor"],
        tmp_path,
        GUICHET_DATA_DIR=str(tmp_path / "empty"),
        GUICHET_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none",
    )
    assert broken.returncode == 1
    assert "GUICHET_DATABASE_URL" in broken.stdout
    assert "guichet index build" in broken.stdout


def test_invalid_setting_stops_with_a_clear_message(tmp_path: Path) -> None:
    result = _run(["doctor"], tmp_path, GUICHET_PORT="eighty")
    assert result.returncode == 1
    assert "GUICHET_PORT" in result.stdout and "Traceback" not in result.stderr
    serve = _run(["serve"], tmp_path, GUICHET_PORT="eighty")
    assert serve.returncode == 2 and "GUICHET_PORT" in serve.stdout


def test_index_build_reports_what_it_built(components, tmp_path: Path) -> None:
    result = _in_process(["index", "build"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "entries" in result.stdout and "use-multilingual" in result.stdout
