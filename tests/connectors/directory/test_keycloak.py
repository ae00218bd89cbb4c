"""Keycloak specifics, against the local Keycloak of the contract tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.kernel.directory import PasswordRejected, PolicyReason
from bot.kernel.errors import SettingsInvalid
from bot.settings.directory import DirectorySettings, KeycloakSettings
from connectors.directory.registry import build_directory
from tests.contracts.fakes import keycloak as keycloak_fake
from tests.contracts.harness_directories import DirectoryHarness, keycloak_harness

pytestmark = pytest.mark.unit

SAM = "sam.taylor@norvane.example"
MARIE = "marie.dupont@norvane.example"


@pytest.fixture
def harness() -> Iterator[DirectoryHarness]:
    yield from keycloak_harness()


def test_missing_settings_are_named() -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_DIRECTORY__KEYCLOAK__BASE_URL"):
        build_directory(DirectorySettings(backend="keycloak"))
    with pytest.raises(SettingsInvalid, match="GUICHET_DIRECTORY__KEYCLOAK__CLIENT_SECRET"):
        build_directory(
            DirectorySettings(
                backend="keycloak",
                keycloak=KeycloakSettings(base_url="https://sso.example", realm="norvane"),
            )
        )


async def test_an_admin_user_signs_in_with_the_password_grant(harness: DirectoryHarness) -> None:
    keycloak: keycloak_fake.Keycloak = harness.peer
    settings = KeycloakSettings(
        base_url=harness.url,
        realm=keycloak_fake.REALM,
        auth_realm="master",
        client_id=keycloak_fake.PUBLIC_CLIENT_ID,
        username=keycloak_fake.ADMIN_USER,
        password=SecretStr(keycloak_fake.ADMIN_PASSWORD),
    )
    directory = build_directory(DirectorySettings(backend="keycloak", keycloak=settings))
    try:
        await directory.set_password(MARIE, "Correct-Horse-Battery-9")
        checks = await directory.health()
    finally:
        await directory.aclose()
    assert all(c.ok for c in checks)
    user = keycloak.users[keycloak.user_id(MARIE)]
    assert "UPDATE_PASSWORD" not in user["requiredActions"]  # temporary: false


async def test_manager_given_as_a_username(harness: DirectoryHarness) -> None:
    keycloak: keycloak_fake.Keycloak = harness.peer
    sam_id = keycloak.user_id(SAM)
    assert keycloak.users[sam_id]["attributes"]["manager"] == ["paul.bernard"]
    directory = harness.directory()
    try:
        sam = await directory.lookup(SAM)
    finally:
        await directory.aclose()
    assert sam is not None
    assert sam.manager == "paul.bernard@norvane.example"
    assert [d.id for d in sam.destinations] == ["mobile", "mobile-voice", "email"]


async def test_the_policy_message_key_is_kept_as_detail(harness: DirectoryHarness) -> None:
    directory = harness.directory()
    try:
        with pytest.raises(PasswordRejected) as raised:
            await directory.set_password(MARIE, "short")
    finally:
        await directory.aclose()
    assert raised.value.reason is PolicyReason.TOO_SHORT
    assert "minimum length 12" in str(raised.value)
