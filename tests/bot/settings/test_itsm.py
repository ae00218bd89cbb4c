"""ITSM settings: nested in Guichet's settings, secrets from the environment, checked when a
backend is built."""

from __future__ import annotations

import pytest

from bot.kernel.errors import SettingsInvalid
from bot.kernel.registry import UnknownPlugin
from bot.settings import load_settings
from connectors.itsm.registry import BACKENDS, BackendContext, build_backend

pytestmark = pytest.mark.unit


def test_every_vendor_backend_is_registered() -> None:
    assert {"request_tracker", "servicenow", "jira_service_management", "glpi", "zammad"} <= set(
        BACKENDS.names()
    )


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_TICKETS__SYNC_BACKENDS", '["servicenow"]')
    monkeypatch.setenv("GUICHET_ITSM__SERVICENOW__BASE_URL", "https://norvane.service-now.com")
    monkeypatch.setenv("GUICHET_ITSM__SERVICENOW__USERNAME", "guichet.integration")
    monkeypatch.setenv("GUICHET_ITSM__SERVICENOW__PASSWORD", "s3cret")
    monkeypatch.setenv("GUICHET_ITSM__TIMEOUT_SECONDS", "4.5")

    settings = load_settings()

    assert settings.tickets.sync_backends == ["servicenow"]
    assert settings.itsm.timeout_seconds == 4.5
    assert settings.itsm.servicenow.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_a_wrong_timeout_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUICHET_ITSM__TIMEOUT_SECONDS", "0")
    with pytest.raises(SettingsInvalid, match="GUICHET_ITSM__TIMEOUT_SECONDS"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "setting"),
    [
        ("servicenow", "GUICHET_ITSM__SERVICENOW__BASE_URL"),
        ("zammad", "GUICHET_ITSM__ZAMMAD__BASE_URL"),
        ("glpi", "GUICHET_ITSM__GLPI__BASE_URL"),
        ("jira_service_management", "GUICHET_ITSM__JIRA_SERVICE_MANAGEMENT__BASE_URL"),
    ],
)
def test_a_backend_without_its_address_names_the_setting(name: str, setting: str) -> None:
    with pytest.raises(SettingsInvalid, match=setting):
        build_backend(name, BackendContext(load_settings().itsm))


def test_an_unknown_backend_lists_the_known_ones() -> None:
    with pytest.raises(UnknownPlugin, match="servicenow"):
        build_backend("remedy", BackendContext(load_settings().itsm))
