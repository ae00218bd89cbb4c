"""The typed settings: environment, guichet.toml, clear errors, secrets kept secret."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.kernel.errors import SettingsInvalid
from bot.settings import Environment, Settings, load_settings

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


def test_log_lines_are_text_in_development_and_json_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GUICHET_LOG__FORMAT", raising=False)
    assert Settings(environment=Environment.DEVELOPMENT).log_format == "text"
    assert Settings(environment=Environment.PRODUCTION).log_format == "json"
    monkeypatch.setenv("GUICHET_LOG__FORMAT", "json")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("GUICHET_LOG__FORMAT", "text")
    assert Settings(environment=Environment.PRODUCTION).log_format == "text"


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
        ("GUICHET_LOG__FORMAT", "yaml", "GUICHET_LOG__FORMAT"),
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
    monkeypatch.setenv(
        "GUICHET_SECRET_KEY", "hJ4s9Qe2Vx7Lm0Rk3Tb8Wn5Yc1Pz6Ud-Gf_Ka2Hs7Jd4Nq9Xv3Bm8Ct5Ew1"
    )
    with pytest.raises(SettingsInvalid, match="GUICHET_DIRECTORY__BACKEND"):
        load_settings()  # the demo directory, next
    monkeypatch.setenv("GUICHET_DIRECTORY__BACKEND", "ldap")
    monkeypatch.setenv("GUICHET_DELIVERY__EMAIL", "none")
    monkeypatch.setenv("GUICHET_DELIVERY__SMS", "none")
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


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("https://guichet.norvane.example/", "https://guichet.norvane.example"),
        ("https://intranet.norvane.example/guichet/", "https://intranet.norvane.example/guichet"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
    ],
)
def test_public_url_kept_without_its_final_slash(
    monkeypatch: pytest.MonkeyPatch, value: str, kept: str
) -> None:
    monkeypatch.setenv("GUICHET_PUBLIC_URL", value)
    settings = load_settings()
    assert settings.public_url == settings.effective_public_url == kept


@pytest.mark.parametrize(
    "value",
    [
        "guichet.norvane.example",
        "/guichet",
        "ftp://guichet.norvane.example",
        "https://guichet.norvane.example/?tab=1",
        "https://guichet.norvane.example/#top",
        "https://admin:pw@guichet.norvane.example",
        "https://guichet.norvane.example:https",
    ],
)
def test_wrong_public_url_names_the_setting_and_the_expected_form(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GUICHET_PUBLIC_URL", value)
    with pytest.raises(SettingsInvalid) as caught:
        load_settings()
    message = str(caught.value)
    assert "GUICHET_PUBLIC_URL" in message
    assert "absolute http(s) URL" in message and "https://guichet.example.org" in message


def test_public_url_in_development_is_where_serve_listens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GUICHET_PUBLIC_URL", raising=False)
    monkeypatch.setenv("GUICHET_PORT", "8123")
    monkeypatch.setenv("GUICHET_HOST", "0.0.0.0")  # every interface: this machine's own address
    settings = load_settings()
    assert settings.public_url is None
    assert settings.effective_public_url == "http://127.0.0.1:8123"
    monkeypatch.setenv("GUICHET_HOST", "guichet.dev.local")
    assert load_settings().effective_public_url == "http://guichet.dev.local:8123"


@pytest.mark.parametrize(
    "chat",
    [
        {"GUICHET_SLACK_SIGNING_SECRET": "8f742231b10e", "GUICHET_SLACK_BOT_TOKEN": "xoxb-1"},
        {"GUICHET_TEAMS__APP_ID": "3f1c8b52-9d3e-4b8e-8f0a-5b2e1d7c9a41"},
    ],
    ids=["slack", "teams"],
)
def test_slack_or_teams_outside_development_need_the_public_url(
    monkeypatch: pytest.MonkeyPatch, chat: dict[str, str]
) -> None:
    monkeypatch.delenv("GUICHET_PUBLIC_URL", raising=False)
    monkeypatch.setenv("GUICHET_ENVIRONMENT", "production")
    monkeypatch.setenv(
        "GUICHET_SECRET_KEY", "hJ4s9Qe2Vx7Lm0Rk3Tb8Wn5Yc1Pz6Ud-Gf_Ka2Hs7Jd4Nq9Xv3Bm8Ct5Ew1"
    )
    monkeypatch.setenv("GUICHET_DIRECTORY__BACKEND", "ldap")
    monkeypatch.setenv("GUICHET_DELIVERY__EMAIL", "none")
    monkeypatch.setenv("GUICHET_DELIVERY__SMS", "none")
    assert load_settings().effective_public_url is None  # no chat channel: not needed
    for variable, value in chat.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsInvalid, match="GUICHET_PUBLIC_URL") as refused:
        load_settings()
    assert "Slack or Teams" in str(refused.value)
    monkeypatch.setenv("GUICHET_PUBLIC_URL", "https://guichet.norvane.example")
    assert load_settings().effective_public_url == "https://guichet.norvane.example"
