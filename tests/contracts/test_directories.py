"""The `Directory` contract, run against every backend: the demo directory, a real OpenLDAP
slapd, and a local server per vendor speaking its documented protocol (Microsoft Graph,
Keycloak's admin REST API)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from bot.kernel.directory import (
    Directory,
    DirectoryError,
    DirectoryUnavailable,
    PasswordRejected,
    PersonNotFound,
    PolicyReason,
    UnlockUnsupported,
)
from tests.contracts.fakes.server import free_port
from tests.contracts.harness_directories import HARNESSES, DirectoryHarness

pytestmark = pytest.mark.unit

SAM = "Sam.Taylor@Norvane.example"  # any case: e-mail addresses are compared without it
MARIE = "marie.dupont@norvane.example"
STRANGER = "nobody@elsewhere.example"
GOOD = "Correct-Horse-Battery-9"
OTHER_GOOD = "Staple-Battery-Horse-17"
SHORT = "Ab1!x"


@pytest.fixture(params=list(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[DirectoryHarness]:
    yield from HARNESSES[request.param]()


@pytest.fixture(params=[name for name in HARNESSES if name not in ("builtin", "ldap")])
def http_harness(request: pytest.FixtureRequest) -> Iterator[DirectoryHarness]:
    """The directories reached over HTTP, behind a server that can fail on request."""
    yield from HARNESSES[request.param]()


@pytest.fixture
async def directory(harness: DirectoryHarness) -> AsyncIterator[Directory]:
    opened = harness.directory()
    try:
        yield opened
    finally:
        await opened.aclose()


async def test_lookup_names_manager_groups_and_where_codes_go(directory: Directory) -> None:
    person = await directory.lookup(SAM)

    assert person is not None
    assert person.email == "sam.taylor@norvane.example"
    assert person.name == "Sam Taylor"
    assert person.language == "en"
    assert (person.department, person.site) == ("IT", "London")
    assert person.manager == "paul.bernard@norvane.example"
    assert "service-desk" in person.groups
    assert not person.locked
    assert not person.disabled
    sms = [d for d in person.destinations if d.kind == "sms"]
    assert sms
    assert sms[0].address.startswith("+")
    assert " " not in sms[0].address  # E.164
    assert sms[0].address not in sms[0].masked()


async def test_manager_without_a_manager(directory: Directory) -> None:
    paul = await directory.lookup("paul.bernard@norvane.example")
    assert paul is not None
    assert paul.manager is None
    assert paul.language == "fr"


async def test_unknown_person_is_none(directory: Directory) -> None:
    assert await directory.lookup(STRANGER) is None
    assert await directory.lookup("not an address") is None
    with pytest.raises(PersonNotFound):
        await directory.set_password(STRANGER, GOOD)
    with pytest.raises(PersonNotFound):
        await directory.unlock(STRANGER)
    with pytest.raises(PersonNotFound):
        await directory.add_to_group(STRANGER, "service-desk")


async def test_password_policy(harness: DirectoryHarness, directory: Directory) -> None:
    await directory.set_password(MARIE, GOOD)
    assert harness.holds(directory, MARIE, GOOD)

    with pytest.raises(PasswordRejected) as short:
        await directory.set_password(MARIE, SHORT)
    assert short.value.reason is PolicyReason.TOO_SHORT
    assert SHORT not in str(short.value)

    if harness.refuses_reuse:
        with pytest.raises(PasswordRejected) as reused:
            await directory.set_password(MARIE, GOOD)
        assert reused.value.reason is PolicyReason.IN_HISTORY
    else:  # Entra ID: "the last password can be used again when the user resets" (documented)
        await directory.set_password(MARIE, GOOD)
    await directory.set_password(MARIE, OTHER_GOOD)
    assert harness.holds(directory, MARIE, OTHER_GOOD)


async def test_unlock(harness: DirectoryHarness, directory: Directory) -> None:
    harness.lock(directory, MARIE)

    if not harness.can_unlock:
        with pytest.raises(UnlockUnsupported) as raised:
            await directory.unlock(MARIE)
        assert "lockout" in str(raised.value)
        return
    locked = await directory.lookup(MARIE)
    assert locked is not None
    assert locked.locked
    await directory.unlock(MARIE)
    unlocked = await directory.lookup(MARIE)
    assert unlocked is not None
    assert not unlocked.locked
    await directory.unlock(MARIE)  # unlocking an account that is not locked is fine


async def test_add_to_group_then_members(directory: Directory) -> None:
    before = {p.email for p in await directory.members("service-desk")}
    assert "sam.taylor@norvane.example" in before
    assert MARIE not in before

    await directory.add_to_group(MARIE, "service-desk")
    await directory.add_to_group(MARIE, "service-desk")  # twice: still one membership

    person = await directory.lookup(MARIE)
    assert person is not None
    assert "service-desk" in person.groups
    members = await directory.members("service-desk")
    assert sorted(p.email for p in members) == sorted({*before, MARIE})
    marie = next(p for p in members if p.email == MARIE)
    assert marie.name == "Marie Dupont"
    assert await directory.members("no-such-group") == []


async def test_health_ok(directory: Directory) -> None:
    checks = await directory.health()
    assert checks
    assert all(check.ok for check in checks), checks


async def test_unknown_group_is_refused(http_harness: DirectoryHarness) -> None:
    directory = http_harness.directory()
    try:
        with pytest.raises(DirectoryError, match="no-such-group"):
            await directory.add_to_group(MARIE, "no-such-group")
    finally:
        await directory.aclose()


async def test_wrong_secret(
    http_harness: DirectoryHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    intruder = http_harness.directory("wrong")
    try:
        checks = await intruder.health()
        with pytest.raises(DirectoryUnavailable) as raised:
            await intruder.lookup(SAM)
    finally:
        await intruder.aclose()

    assert [c.ok for c in checks] == [False]
    message = str(raised.value)
    assert "401" in message
    assert "sign in" in message
    assert "401" in checks[0].detail
    for secret in http_harness.secrets:
        assert secret not in message
        assert secret not in caplog.text


async def test_server_down(http_harness: DirectoryHarness) -> None:
    directory = http_harness.directory(url=f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(DirectoryUnavailable) as raised:
            await directory.lookup(SAM)
        checks = await directory.health()
    finally:
        await directory.aclose()
    assert "cannot reach 127.0.0.1" in str(raised.value)
    assert not checks[0].ok
    for secret in http_harness.secrets:
        assert secret not in str(raised.value)


async def test_token_is_reused_until_it_expires(http_harness: DirectoryHarness) -> None:
    directory = http_harness.directory()
    try:
        for _ in range(3):
            assert await directory.lookup(SAM) is not None
        await directory.set_password(MARIE, GOOD)
    finally:
        await directory.aclose()
    assert http_harness.token_requests() == 1


async def test_throttling_waits_as_told_then_succeeds(http_harness: DirectoryHarness) -> None:
    assert http_harness.faults is not None
    http_harness.faults.fail_next(429, retry_after="0.2")
    http_harness.faults.fail_next(503, retry_after="0")
    directory = http_harness.directory()
    try:
        person = await directory.lookup(SAM)
    finally:
        await directory.aclose()
    assert person is not None
    assert http_harness.faults.pending() == 0


async def test_throttling_longer_than_allowed_is_unavailable(
    http_harness: DirectoryHarness,
) -> None:
    assert http_harness.faults is not None
    directory = http_harness.directory()
    try:
        await directory.health()  # signed in: the next request is an API call
        http_harness.faults.fail_next(429, retry_after="120")
        with pytest.raises(DirectoryUnavailable, match=r"try again in 120 s"):
            await directory.lookup(SAM)
        for _ in range(3):  # more failures in a row than retries
            http_harness.faults.fail_next(503)
        with pytest.raises(DirectoryUnavailable, match="503"):
            await directory.lookup(SAM)
    finally:
        await directory.aclose()
    http_harness.faults.clear()


async def test_no_secret_or_password_in_errors_or_logs(
    http_harness: DirectoryHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert http_harness.faults is not None
    directory = http_harness.directory()
    seen: list[str] = []
    try:
        http_harness.faults.fail_next(429, retry_after="0")
        await directory.set_password(MARIE, GOOD)
        for password in (SHORT, GOOD, "a" * 40):  # too short; reused or too simple
            try:
                await directory.set_password(MARIE, password)
            except DirectoryError as exc:
                seen.append(str(exc))
    finally:
        await directory.aclose()
    assert len(seen) >= 2
    for text in [*seen, caplog.text]:
        for secret in (*http_harness.secrets, GOOD, SHORT, "a" * 40):
            assert secret not in text
