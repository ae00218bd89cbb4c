"""The Active Directory flavour.

What slapd can check (the `dc=ad,dc=test` database: AD's attribute names and OIDs on a small
schema): the lookup of AD's attributes, the `unicodePwd` value written on the wire, `lockoutTime`
set to 0, `userAccountControl` read as disabled, `group` membership. What it cannot: AD's own
policy and lockout; their refusals are mapped from the diagnostic messages AD and Samba's AD DC
are documented to send, below.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.kernel.directory import PolicyReason
from bot.settings.directory import LdapSettings
from connectors.directory.ldap import LdapDirectory, unicode_pwd
from connectors.directory.ldap_policy import (
    active_directory_bind_problem,
    active_directory_reason,
    openldap_reason,
    ppolicy_error,
)
from tests.slapd import (
    AD_BASE,
    AD_ROOT_DN,
    AD_SERVICE_DN,
    ROOT_PASSWORD,
    SERVICE_PASSWORD,
    RunningSlapd,
    ad_dn,
)


@pytest.fixture
async def ad(slapd: RunningSlapd) -> AsyncIterator[LdapDirectory]:
    directory = LdapDirectory(
        LdapSettings(
            flavour="active_directory",
            urls=[slapd.url],
            ca_file=slapd.ca_file,
            bind_dn=AD_SERVICE_DN,
            bind_password=SecretStr(SERVICE_PASSWORD),
            people_base=f"cn=Users,{AD_BASE}",
        )
    )
    yield directory
    await directory.aclose()


def stored(slapd: RunningSlapd, dn: str, attribute: str) -> str:
    """An attribute as slapd stored it (LDIF, base64 for binary values), read as its root."""
    found = subprocess.run(
        [
            *("ldapsearch", "-x", "-LLL", "-H", slapd.url, "-D", AD_ROOT_DN, "-w", ROOT_PASSWORD),
            *("-b", dn, "-s", "base", attribute),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    return found.stdout


@pytest.mark.integration
async def test_lookup_reads_ad_attributes(ad: LdapDirectory) -> None:
    amelie = await ad.lookup("amelie.roux@norvane.test")
    assert amelie is not None
    assert (amelie.name, amelie.language, amelie.department, amelie.site) == (
        "Amélie Roux",
        "fr",
        "Finance",
        "Lyon 3e",
    )
    assert (amelie.locked, amelie.disabled) == (False, False)
    assert {d.id for d in amelie.destinations} == {"mobile", "mobile-voice", "email"}
    # No mail: found by userPrincipalName, which is then the address.
    ben = await ad.lookup("ben.cole@ad.norvane.test")
    assert ben is not None and ben.email == "ben.cole@ad.norvane.test"
    assert (ben.locked, ben.manager, ben.groups) == (
        True,
        "amelie.roux@norvane.test",
        {"Help Desk"},
    )
    carl = await ad.lookup("carl.dent@norvane.test")
    assert carl is not None and carl.disabled and not carl.locked  # userAccountControl 514


@pytest.mark.integration
async def test_set_password_writes_unicode_pwd(slapd: RunningSlapd, ad: LdapDirectory) -> None:
    await ad.set_password("amelie.roux@norvane.test", "Nouveau-mot-de-passe-é")
    expected = unicode_pwd("Nouveau-mot-de-passe-é")
    assert expected == '"Nouveau-mot-de-passe-é"'.encode("utf-16-le")

    ldif = stored(slapd, ad_dn("amelie.roux"), "unicodePwd")
    assert f"unicodePwd:: {base64.b64encode(expected).decode()}" in ldif.replace("\n ", "")


@pytest.mark.integration
async def test_unlock_sets_lockout_time_to_zero(slapd: RunningSlapd, ad: LdapDirectory) -> None:
    await ad.unlock("ben.cole@ad.norvane.test")
    assert "lockoutTime: 0" in stored(slapd, ad_dn("ben.cole"), "lockoutTime")
    ben = await ad.lookup("ben.cole@ad.norvane.test")
    assert ben is not None and not ben.locked


@pytest.mark.integration
async def test_add_to_an_ad_group(ad: LdapDirectory) -> None:
    await ad.add_to_group("carl.dent@norvane.test", "Help Desk")
    members = await ad.members("Help Desk")
    assert [p.email for p in members] == ["ben.cole@ad.norvane.test", "carl.dent@norvane.test"]


# Diagnostic messages as Active Directory (Windows) and Samba's AD DC send them.
WINDOWS_RESTRICTION = (
    "0000052D: AtrErr: DSID-03191083, #1:\n\t0: 0000052D: DSID-03191083, problem 1005 "
    "(CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)\n\x00"
)


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (WINDOWS_RESTRICTION, PolicyReason.OTHER),  # Windows does not say which rule
        (
            "0000052D: Constraint violation - check_password_restrictions: the password is too "
            "short. It should be equal or longer than 7 characters!",
            PolicyReason.TOO_SHORT,
        ),
        (
            "0000052D: Constraint violation - check_password_restrictions: the password does "
            "not meet the complexity criteria!",
            PolicyReason.TOO_SIMPLE,
        ),
        (
            "0000052D: Constraint violation - check_password_restrictions: the password was "
            "already used (in history)!",
            PolicyReason.IN_HISTORY,
        ),
        (
            "0000052D: Constraint violation - check_password_restrictions: password is too "
            "young to change!",
            PolicyReason.TOO_SOON,
        ),
        ("0000001F: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0", None),
        ("00000005: SecErr: DSID-031A11E6, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0", None),
    ],
)
def test_active_directory_refusals(message: str, reason: PolicyReason | None) -> None:
    assert active_directory_reason(message) == reason


def test_active_directory_bind_data_codes() -> None:
    message = (
        "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563"
    )
    assert active_directory_bind_problem(message) == "the service account is locked out"
    assert active_directory_bind_problem(message.replace("775", "52e")) == (
        "wrong password for the bind DN"
    )
    assert active_directory_bind_problem("Invalid credentials") is None


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (b"\x30\x03\x81\x01\x06", "passwordTooShort"),
        (b"\x30\x03\x81\x01\x08", "passwordInHistory"),
        (b"\x30\x03\x81\x01\x05", "insufficientPasswordQuality"),
        # a warning (graceAuthNsRemaining 2) before the error
        (b"\x30\x08\xa0\x03\x81\x01\x02\x81\x01\x07", "passwordTooYoung"),
        (b"\x30\x05\xa0\x03\x80\x01\x3c", None),  # a warning only
        (b"\x30\x05\x81\x01", None),  # truncated
        (None, None),
    ],
)
def test_ppolicy_control_values(value: bytes | None, error: str | None) -> None:
    assert ppolicy_error(value) == error


def test_openldap_reasons_without_the_control() -> None:
    assert openldap_reason(None, "Password fails quality checking policy") is (
        PolicyReason.TOO_SIMPLE
    )
    assert openldap_reason(None, "Password is in history of old passwords") is (
        PolicyReason.IN_HISTORY
    )
    assert openldap_reason("insufficientPasswordQuality", "") is PolicyReason.TOO_SIMPLE
    assert openldap_reason("passwordModNotAllowed", "") is PolicyReason.OTHER
    assert openldap_reason(None, "no write access to parent") is None
