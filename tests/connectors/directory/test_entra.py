"""Entra ID specifics, against the local Microsoft Graph of the contract tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.kernel.directory import PasswordRejected, PolicyReason
from bot.kernel.errors import SettingsInvalid
from bot.settings.directory import DirectorySettings, EntraSettings
from connectors.directory.registry import build_directory
from tests.contracts.fakes import entra as entra_fake
from tests.contracts.harness_directories import DirectoryHarness, entra_harness

pytestmark = pytest.mark.unit

SAM = "sam.taylor@norvane.example"


@pytest.fixture
def harness() -> Iterator[DirectoryHarness]:
    yield from entra_harness()


def test_missing_settings_are_named() -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_DIRECTORY__ENTRA__TENANT_ID"):
        build_directory(DirectorySettings(backend="entra"))
    with pytest.raises(SettingsInvalid, match="GUICHET_DIRECTORY__ENTRA__CLIENT_SECRET"):
        build_directory(
            DirectorySettings(backend="entra", entra=EntraSettings(tenant_id="t", client_id="c"))
        )


async def test_groups_follow_next_links_and_leave_roles_out(harness: DirectoryHarness) -> None:
    directory = harness.directory()
    try:
        sam = await directory.lookup(SAM)
    finally:
        await directory.aclose()
    assert sam is not None
    # four memberships on two pages of two: a directory role and three groups
    assert sam.groups == {"service-desk", "vpn-users", "all-staff"}


async def test_codes_go_to_the_registered_methods(harness: DirectoryHarness) -> None:
    directory = harness.directory()
    try:
        sam = await directory.lookup(SAM)
        by_upn = await directory.lookup("sam.taylor@norvane.onmicrosoft.com")
    finally:
        await directory.aclose()
    assert sam is not None
    assert by_upn == sam
    assert [(d.id, d.kind, d.address) for d in sam.destinations] == [
        ("mobile", "sms", "+447700900123"),
        ("mobile-voice", "voice", "+447700900123"),
        ("office-voice", "voice", "+442079460958"),  # an office line is called, never texted
        ("email", "email", "Sam@perso.example"),
    ]


async def test_a_password_without_three_kinds_is_too_simple(harness: DirectoryHarness) -> None:
    directory = harness.directory()
    try:
        with pytest.raises(PasswordRejected) as raised:
            await directory.set_password(SAM, "only-lowercase-but-long")
    finally:
        await directory.aclose()
    assert raised.value.reason is PolicyReason.TOO_SIMPLE
    assert "complexity" in str(raised.value)


async def test_an_expired_token_is_replaced(harness: DirectoryHarness) -> None:
    directory = harness.directory()
    try:
        assert await directory.lookup(SAM) is not None
        entra: entra_fake.Entra = harness.peer
        for token in entra.tokens:
            entra.tokens[token] = 0.0  # revoked or expired early, on Entra's side
        assert await directory.lookup(SAM) is not None
    finally:
        await directory.aclose()
    assert harness.token_requests() == 2
