"""The demo directory applies a real policy: length and history, and unlocks on a new password."""

from __future__ import annotations

import pytest

from bot.kernel.directory import PasswordRejected, PersonNotFound, PolicyReason
from bot.settings.directory import DirectorySettings
from connectors.directory.registry import build_directory

MARIE = "Marie.Dupont@norvane.example"


async def test_lookup_names_the_manager_and_where_codes_go() -> None:
    directory = build_directory(DirectorySettings())
    person = await directory.lookup(MARIE)
    assert person is not None
    assert (person.email, person.name, person.language) == (
        "marie.dupont@norvane.example",
        "Marie Dupont",
        "fr",
    )
    assert person.manager == "claire.martin@norvane.example"
    assert {d.kind for d in person.destinations} == {"sms", "voice", "email"}
    assert "+33" not in person.destinations[0].masked()
    assert await directory.lookup("someone@elsewhere.example") is None
    stranger = await directory.lookup("jean-luc.picard@norvane.example")
    assert stranger is not None and stranger.name == "Jean-luc Picard"


async def test_policy_refuses_short_and_reused_passwords() -> None:
    directory = build_directory(DirectorySettings())
    with pytest.raises(PasswordRejected) as short:
        await directory.set_password(MARIE, "court")
    assert short.value.reason is PolicyReason.TOO_SHORT
    await directory.set_password(MARIE, "correct horse battery")
    with pytest.raises(PasswordRejected) as reused:
        await directory.set_password(MARIE, "correct horse battery")
    assert reused.value.reason is PolicyReason.IN_HISTORY
    with pytest.raises(PersonNotFound):
        await directory.set_password("nobody@elsewhere.example", "correct horse battery")


async def test_unlock_and_groups() -> None:
    directory = build_directory(DirectorySettings())
    directory.locked.add("marie.dupont@norvane.example")  # type: ignore[attr-defined]
    person = await directory.lookup(MARIE)
    assert person is not None and person.locked
    await directory.unlock(MARIE)
    await directory.add_to_group(MARIE, "vpn-users")
    person = await directory.lookup(MARIE)
    assert person is not None and not person.locked and "vpn-users" in person.groups
    assert [p.name for p in await directory.members("vpn-users")] == ["Marie Dupont"]
    assert [p.name for p in await directory.members("service-desk")] == ["Sam Taylor"]
    assert await directory.members("nobody-here") == []
