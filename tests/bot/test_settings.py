"""The typed settings: environment, guichet.toml, clear errors, secrets kept secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.errors import SettingsInvalid
from bot.settings import Environment, load_settings

pytestmark = pytest.mark.unit


def test_defaults_are_the_embedded_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.effective_database_url == "sqlite+aiosqlite:///var/guichet.db"
    assert settings.nlu.engine == "embedded"
    assert settings.knowledge.embedder == "use-multilingual"
    assert (settings.knowledge.kb_dir / "catalog.yaml").exists()


def test_environment_variables_and_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_PORT", "9001")
    monkeypatch.setenv("GUICHET_NLU__CONFIDENCE_THRESHOLD", "0.7")
    monkeypatch.setenv("GUICHET_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:5432/db")
    settings = load_settings()
    assert settings.port == 9001
    assert settings.nlu.confidence_threshold == 0.7
    assert settings.effective_database_url.startswith("postgresql+psycopg://")


def test_toml_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "guichet.toml").write_text(
        'port = 8100\ndefault_language = "fr"\n[knowledge]\nanswer_threshold = 0.6\n'
    )
    monkeypatch.setenv("GUICHET_PORT", "8200")
    settings = load_settings()
    assert (settings.port, settings.default_language) == (8200, "fr")
    assert settings.knowledge.answer_threshold == 0.6


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("GUICHET_PORT", "eighty", "GUICHET_PORT"),
        ("GUICHET_PORT", "70000", "GUICHET_PORT"),
        ("GUICHET_DATABASE_URL", "mysql://x", "GUICHET_DATABASE_URL"),
        ("GUICHET_NLU__CONFIDENCE_THRESHOLD", "2", "GUICHET_NLU__CONFIDENCE_THRESHOLD"),
        ("GUICHET_DEFAULT_LANGUAGE", "de", "GUICHET_DEFAULT_LANGUAGE"),
    ],
)
def test_wrong_value_names_the_setting_and_the_expected_form(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, named: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsInvalid) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message and "expected" in message


def test_default_secret_is_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_ENVIRONMENT", "production")
    with pytest.raises(SettingsInvalid, match="GUICHET_SECRET_KEY"):
        load_settings()
    monkeypatch.setenv("GUICHET_SECRET_KEY", "s3cr3t-value-from-the-vault")
    assert load_settings().environment is Environment.PRODUCTION


def test_secrets_never_show(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("GUICHET_SECRET_KEY", "hunter2-very-secret")
    settings = load_settings()
    with caplog.at_level(logging.INFO):
        logging.getLogger("guichet").info("settings: %s", settings)
    assert "hunter2" not in repr(settings) + str(settings) + caplog.text
    assert "hunter2" not in settings.model_dump_json()
