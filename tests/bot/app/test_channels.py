"""Slack and Teams routes exist only when configured, from exactly the documented variables."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from bot.app.web import create_app
from bot.settings import Settings, load_settings

pytestmark = pytest.mark.unit


def _paths(settings: Settings) -> set[str]:
    return {r.path for r in create_app(settings).routes if isinstance(r, APIRoute)}


def test_slack_settings_read_from_their_flat_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")
    monkeypatch.setenv("GUICHET_SLACK_BOT_TOKEN", "xoxb-1-2-abc")
    monkeypatch.setenv("GUICHET_SLACK_API_URL", "http://slack.internal/api/")
    settings = load_settings()
    assert settings.slack_signing_secret is not None and settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-1-2-abc"
    assert "xoxb" not in repr(settings)  # secrets stay hidden
    assert settings.slack_api_url == "http://slack.internal/api/"
    assert "/slack/events" in _paths(settings)


def test_slack_needs_both_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().slack_api_url == "https://slack.com/api/"
    assert "/slack/events" not in _paths(load_settings())
    monkeypatch.setenv("GUICHET_SLACK_SIGNING_SECRET", "8f742231b10e8888abcd99yyyzzz85a5")
    assert "/slack/events" not in _paths(load_settings())


def test_teams_mounted_with_an_app_id(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "/api/messages" not in _paths(load_settings())
    monkeypatch.setenv("GUICHET_TEAMS__APP_ID", "3f1c8b52-9d3e-4b8e-8f0a-5b2e1d7c9a41")
    monkeypatch.setenv("GUICHET_TEAMS__APP_PASSWORD", "s3cret")
    settings = load_settings()
    assert settings.teams.issuers == ["https://api.botframework.com"]
    assert settings.teams.restrict_service_urls is True
    assert "/api/messages" in _paths(settings)
