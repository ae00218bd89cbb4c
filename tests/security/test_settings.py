"""Start-up settings an operator gets wrong and an attacker then guesses."""

from __future__ import annotations

import secrets

import pytest

from bot.kernel.errors import SettingsInvalid
from bot.settings import DEFAULT_SECRET, Environment, load_settings
from tests.security.sqlite_only import sqlite_only  # noqa: F401  (the fixture)

pytestmark = pytest.mark.unit
# The organisation's directory and no demo inbox: what production needs besides a secret.
REAL_PARTS: dict[str, object] = {
    "directory": {"backend": "ldap"},
    "delivery": {"email": "none", "sms": "none"},
}
WEAK = [
    "x",
    DEFAULT_SECRET,
    "changeme",
    "a" * 64,
    "ab" * 40,
    "s3cr3t-value-from-the-vault",  # 27 characters
    "0123456789" * 4,  # digits: about 133 bits
    "correct-horse-battery-staple-ok",  # 31 characters
]


@pytest.mark.parametrize("secret", WEAK, ids=range(len(WEAK)))
def test_production_refuses_a_guessable_secret_key(secret: str) -> None:
    """Issue 13, row 13: production started with GUICHET_SECRET_KEY=x."""
    with pytest.raises(SettingsInvalid) as refused:
        load_settings(environment="production", secret_key=secret)
    message = str(refused.value)
    assert "GUICHET_SECRET_KEY" in message
    assert "secrets.token_urlsafe(48)" in message
    if len(secret) > 3:
        assert secret not in message  # never shown


@pytest.mark.parametrize(
    "secret",
    [secrets.token_urlsafe(32), secrets.token_urlsafe(48), secrets.token_hex(32)],
    ids=["token_urlsafe(32)", "token_urlsafe(48)", "token_hex(32)"],
)
def test_production_starts_with_a_generated_secret_key(secret: str) -> None:
    settings = load_settings(environment="production", secret_key=secret, **REAL_PARTS)
    assert settings.environment is Environment.PRODUCTION


def test_development_keeps_its_default() -> None:
    assert load_settings(environment="development", secret_key="x").secret_key


@pytest.mark.parametrize(
    ("parts", "named"),
    [
        ({}, "GUICHET_DIRECTORY__BACKEND"),
        ({"directory": {"backend": "ldap"}}, "GUICHET_DELIVERY__EMAIL"),
        (
            {"directory": {"backend": "ldap"}, "delivery": {"email": "none"}},
            "GUICHET_DELIVERY__SMS",
        ),
    ],
)
def test_production_refuses_the_demo_directory_and_the_demo_inbox(
    parts: dict[str, object], named: str
) -> None:
    with pytest.raises(SettingsInvalid) as refused:
        load_settings(environment="production", secret_key=secrets.token_urlsafe(48), **parts)
    assert named in str(refused.value) and "demo" in str(refused.value)
    assert load_settings(environment="development").directory.backend == "builtin"
