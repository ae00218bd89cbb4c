"""The LDAP backend against a real OpenLDAP slapd (ppolicy, memberof, StartTLS)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from ldap3 import Connection, Server, Tls
from pydantic import SecretStr

from bot.kernel.directory import (
    DirectoryError,
    DirectoryUnavailable,
    PasswordRejected,
    PersonNotFound,
    PolicyReason,
)
from bot.settings.directory import DirectorySettings, LdapSettings
from connectors.directory.ldap import LdapDirectory
from connectors.directory.registry import build_directory
from tests.contracts.fakes.server import free_port
from tests.slapd import (
    BASE,
    PASSWORD,
    SERVICE_DN,
    SERVICE_PASSWORD,
    RunningSlapd,
    people_dn,
)

pytestmark = pytest.mark.integration


def settings_for(slapd: RunningSlapd, **changes: object) -> LdapSettings:
    values: dict[str, object] = {
        "flavour": "openldap",
        "urls": [slapd.url],
        "ca_file": slapd.ca_file,
        "bind_dn": SERVICE_DN,
        "bind_password": SecretStr(SERVICE_PASSWORD),
        "people_base": f"ou=people,{BASE}",
        "groups_base": f"ou=groups,{BASE}",
        "timeout_seconds": 5,
    }
    return LdapSettings(**{**values, **changes})


@pytest.fixture
async def directory(slapd: RunningSlapd) -> AsyncIterator[LdapDirectory]:
    built = build_directory(DirectorySettings(backend="ldap", ldap=settings_for(slapd)))
    assert isinstance(built, LdapDirectory)
    yield built
    await built.aclose()


def binds(slapd: RunningSlapd, uid: str, password: str) -> bool:
    """A real simple bind as the person, over StartTLS, as any application would."""
    tls = Tls(validate=ssl.CERT_NONE)
    connection = Connection(
        Server(slapd.url, tls=tls), user=people_dn(uid), password=password, raise_exceptions=False
    )
    connection.open()
    connection.start_tls()
    try:
        return bool(connection.bind())
    finally:
        connection.unbind()


async def test_lookup_maps_every_field(directory: LdapDirectory) -> None:
    claire = await directory.lookup("Claire.Martin@NORVANE.test")
    assert claire is not None
    assert (claire.email, claire.name, claire.language) == (
        "claire.martin@norvane.test",
        "Claire Martin",
        "fr",
    )
    assert (claire.department, claire.site) == ("Finance", "Lyon")
    assert claire.manager == "paul.bernard@norvane.test"
    assert claire.groups == {"approvers-finance"}
    assert (claire.locked, claire.disabled) == (False, False)
    assert [(d.id, d.kind, d.address) for d in claire.destinations] == [
        ("mobile", "sms", "+33612345678"),
        ("mobile-voice", "voice", "+33612345678"),
        ("phone-voice", "voice", "+33472000001"),
        ("email", "email", "claire.perso@example.org"),
    ]
    sam = await directory.lookup("sam.taylor@norvane.test")
    assert sam is not None
    assert (sam.language, sam.site, sam.groups) == ("en", "London", {"service-desk"})
    assert sam.destinations[0].address == "+447700900123"  # 00 44 ... in E.164
    lea = await directory.lookup("lea.rousseau@norvane.test")
    assert lea is not None and lea.name == "Léa Rousseau" and lea.destinations == ()
    paul = await directory.lookup("paul.bernard@norvane.test")
    assert paul is not None and paul.manager is None
    assert await directory.lookup("nobody@norvane.test") is None


async def test_filter_values_are_escaped(directory: LdapDirectory) -> None:
    assert await directory.lookup("*") is None
    assert await directory.lookup("*)(uid=claire.martin") is None
    assert await directory.lookup("claire.martin@norvane.test)(|(mail=*") is None


async def test_groups_from_member_search_match_memberof(slapd: RunningSlapd) -> None:
    by_member = LdapDirectory(settings_for(slapd, groups_from="member"))
    try:
        tom = await by_member.lookup("tom.baker@norvane.test")
        assert tom is not None and tom.groups == {"service-desk"}
        assert tom.manager == "sam.taylor@norvane.test"
    finally:
        await by_member.aclose()


async def test_locked_and_administratively_disabled(directory: LdapDirectory) -> None:
    nina = await directory.lookup("nina.petit@norvane.test")
    assert nina is not None and (nina.locked, nina.disabled) == (True, False)
    olga = await directory.lookup("olga.ivanova@norvane.test")
    assert olga is not None and (olga.locked, olga.disabled) == (False, True)
    assert olga.language is None  # "ru": not a language Guichet speaks
    await directory.unlock("olga.ivanova@norvane.test")  # an administrator's lock stays
    olga = await directory.lookup("olga.ivanova@norvane.test")
    assert olga is not None and olga.disabled


async def test_set_password_then_a_real_bind(slapd: RunningSlapd, directory: LdapDirectory) -> None:
    assert binds(slapd, "marie.dupont", PASSWORD)
    await directory.set_password("marie.dupont@norvane.test", "Nouveau-mot-de-passe-42 é")
    assert binds(slapd, "marie.dupont", "Nouveau-mot-de-passe-42 é")
    assert not binds(slapd, "marie.dupont", PASSWORD)


async def test_policy_refusals_map_to_reasons(
    slapd: RunningSlapd, directory: LdapDirectory
) -> None:
    with pytest.raises(PasswordRejected) as short:
        await directory.set_password("john.smith@norvane.test", "court")
    assert short.value.reason is PolicyReason.TOO_SHORT
    assert "passwordTooShort" in str(short.value)
    await directory.set_password("john.smith@norvane.test", "First-new-password-1")
    await directory.set_password("john.smith@norvane.test", "Second-new-password-2")
    with pytest.raises(PasswordRejected) as reused:
        await directory.set_password("john.smith@norvane.test", "First-new-password-1")
    assert reused.value.reason is PolicyReason.IN_HISTORY
    assert binds(slapd, "john.smith", "Second-new-password-2")
    with pytest.raises(PersonNotFound):
        await directory.set_password("nobody@norvane.test", "Whatever-password-1")


async def test_minimum_age_maps_to_too_soon(slapd: RunningSlapd, directory: LdapDirectory) -> None:
    # Hugo's policy keeps a password at least a day; his was set when the directory was seeded.
    with pytest.raises(PasswordRejected) as soon:
        await directory.set_password("hugo.leroy@norvane.test", "Hugo-first-change-1")
    assert soon.value.reason is PolicyReason.TOO_SOON
    assert binds(slapd, "hugo.leroy", PASSWORD)


async def test_lockout_by_failed_binds_then_unlock(
    slapd: RunningSlapd, directory: LdapDirectory
) -> None:
    for _ in range(3):
        assert not binds(slapd, "tom.baker", "not-the-password")
    tom = await directory.lookup("tom.baker@norvane.test")
    assert tom is not None and tom.locked
    assert not binds(slapd, "tom.baker", PASSWORD)  # locked: even the right password fails
    await directory.unlock("tom.baker@norvane.test")
    tom = await directory.lookup("tom.baker@norvane.test")
    assert tom is not None and not tom.locked
    assert binds(slapd, "tom.baker", PASSWORD)
    await directory.unlock("tom.baker@norvane.test")  # not locked: nothing to do


async def test_reset_lifts_a_lockout(slapd: RunningSlapd, directory: LdapDirectory) -> None:
    await directory.set_password("nina.petit@norvane.test", "Nina-fresh-password-9")
    nina = await directory.lookup("nina.petit@norvane.test")
    assert nina is not None and not nina.locked
    assert binds(slapd, "nina.petit", "Nina-fresh-password-9")


async def test_add_to_group_then_members(directory: LdapDirectory) -> None:
    before = await directory.members("vpn-users")
    assert [p.email for p in before] == ["paul.bernard@norvane.test"]
    await directory.add_to_group("lea.rousseau@norvane.test", "vpn-users")
    await directory.add_to_group("lea.rousseau@norvane.test", "vpn-users")  # already: fine
    after = await directory.members("vpn-users")
    assert [p.email for p in after] == ["lea.rousseau@norvane.test", "paul.bernard@norvane.test"]
    assert after[0].manager == "claire.martin@norvane.test"
    lea = await directory.lookup("lea.rousseau@norvane.test")
    assert lea is not None and "vpn-users" in lea.groups
    assert await directory.members("no-such-group") == []
    with pytest.raises(DirectoryError, match="no group named"):
        await directory.add_to_group("lea.rousseau@norvane.test", "no-such-group")
    with pytest.raises(PersonNotFound):
        await directory.add_to_group("nobody@norvane.test", "vpn-users")


async def test_starttls_requires_the_right_ca(slapd: RunningSlapd) -> None:
    wrong = LdapDirectory(settings_for(slapd, ca_file=slapd.other_ca_file))
    with pytest.raises(DirectoryUnavailable, match=r"StartTLS .* not trusted"):
        await wrong.lookup("claire.martin@norvane.test")
    checks = await wrong.health()
    assert [(c.name, c.ok) for c in checks] == [
        ("directory connect", True),
        ("directory TLS", False),
    ]
    assert "ca_file" in checks[-1].detail


async def test_certificate_must_name_the_server(slapd: RunningSlapd) -> None:
    # slapd listens on 127.0.0.2 too, but its certificate names only 127.0.0.1 and localhost.
    renamed = LdapDirectory(settings_for(slapd, urls=[f"ldap://127.0.0.2:{slapd.port}"]))
    with pytest.raises(DirectoryUnavailable, match=r"does not name the server|mismatch"):
        await renamed.lookup("claire.martin@norvane.test")


async def test_health(slapd: RunningSlapd, directory: LdapDirectory) -> None:
    checks = await directory.health()
    assert [(c.name, c.ok) for c in checks] == [
        ("directory connect", True),
        ("directory TLS", True),
        ("directory bind", True),
        ("directory lookup", True),
    ]
    wrong_password = LdapDirectory(settings_for(slapd, bind_password=SecretStr("wrong")))
    checks = await wrong_password.health()
    assert [(c.name, c.ok) for c in checks][-1] == ("directory bind", False)
    assert "invalidCredentials (49)" in checks[-1].detail
    with pytest.raises(DirectoryUnavailable, match="bind as"):
        await wrong_password.lookup("claire.martin@norvane.test")
    closed = LdapDirectory(settings_for(slapd, urls=[f"ldap://127.0.0.1:{free_port()}"]))
    checks = await closed.health()
    assert [(c.name, c.ok) for c in checks] == [("directory connect", False)]


async def test_reconnects_after_the_server_drops_the_connection(
    directory: LdapDirectory,
) -> None:
    assert await directory.lookup("paul.bernard@norvane.test") is not None
    assert directory._connection is not None
    directory._connection.socket.close()  # as a server closing an idle connection would
    assert await directory.lookup("paul.bernard@norvane.test") is not None


def test_missing_settings_are_named() -> None:
    from bot.kernel.errors import SettingsInvalid

    with pytest.raises(SettingsInvalid, match="GUICHET_DIRECTORY__LDAP__URLS"):
        LdapDirectory(LdapSettings())
    with pytest.raises(ValueError, match="ldaps://"):
        LdapSettings(urls=["http://ldap.example"])


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from bot.settings import Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GUICHET_DIRECTORY__BACKEND", "ldap")
    monkeypatch.setenv("GUICHET_DIRECTORY__LDAP__FLAVOUR", "active_directory")
    monkeypatch.setenv("GUICHET_DIRECTORY__LDAP__URLS", '["ldaps://dc1.corp.example"]')
    monkeypatch.setenv("GUICHET_DIRECTORY__LDAP__BIND_PASSWORD", "s3cret")
    monkeypatch.setenv("GUICHET_DIRECTORY__LDAP__ATTRIBUTES__SITE", '["l"]')
    ldap = Settings().directory.ldap
    assert ldap.flavour == "active_directory" and ldap.urls == ["ldaps://dc1.corp.example"]
    assert ldap.bind_password.get_secret_value() == "s3cret"
    assert ldap.attributes.site == ["l"]
