"""What the directory contract needs from each backend's peer: how to reach it (as Guichet, or
with a wrong secret), how to lock someone out, and what the directory's policy is."""

from __future__ import annotations

import ssl
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ldap3 import Connection, Server, Tls
from pydantic import SecretStr

from bot.kernel.directory import Directory
from bot.settings.directory import (
    DirectorySettings,
    EntraSettings,
    KeycloakSettings,
    LdapSettings,
)
from connectors.directory.builtin import BuiltinDirectory
from connectors.directory.builtin import _digest as builtin_digest
from connectors.directory.registry import build_directory
from tests.contracts.fakes import entra as entra_fake
from tests.contracts.fakes import keycloak as keycloak_fake
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.server import LocalServer
from tests.slapd import (
    CONTRACT_BASE,
    CONTRACT_SERVICE_DN,
    SERVICE_PASSWORD,
    contract_dn,
    start_slapd,
)

Account = Literal["guichet", "wrong"]
# Retry fast in the tests: what matters is that Retry-After is read, not the wait itself.
QUICK = {"timeout_seconds": 5.0, "max_retry_wait_seconds": 1.0, "retries": 2}


@dataclass
class DirectoryHarness:
    name: str
    build: Callable[[Account, str | None], Directory]  # (account, base URL override)
    lock: Callable[[Directory, str], None]  # lock a person out the way the directory does
    refuses_reuse: bool  # a reset refuses a recent password (Entra ID's reset does not)
    can_unlock: bool  # the directory offers a way to clear a lockout
    faults: Faults | None = None  # None: no server between Guichet and the directory
    secrets: tuple[str, ...] = ()
    peer: Any = None  # the local server's state, for a backend's own tests
    url: str = ""  # where the local server listens
    token_requests: Callable[[], int] = lambda: 0
    # Whether the directory now holds this password for that person (the reset took).
    holds: Callable[[Directory, str, str], bool] = lambda directory, email, password: False

    def directory(self, account: Account = "guichet", *, url: str | None = None) -> Directory:
        return self.build(account, url)


def builtin_harness() -> Iterator[DirectoryHarness]:
    def build(account: Account, url: str | None) -> Directory:
        return build_directory(DirectorySettings())

    def lock(directory: Directory, email: str) -> None:
        assert isinstance(directory, BuiltinDirectory)
        directory.locked.add(email)

    def holds(directory: Directory, email: str, password: str) -> bool:
        assert isinstance(directory, BuiltinDirectory)
        salt, digest = directory._history[email][-1]
        return builtin_digest(password, salt) == digest

    yield DirectoryHarness("builtin", build, lock, refuses_reuse=True, can_unlock=True, holds=holds)


def entra_harness() -> Iterator[DirectoryHarness]:
    faults = Faults()
    app, entra = entra_fake.entra_app(faults)
    server = LocalServer(app).start()
    entra.url = server.url

    def build(account: Account, url: str | None) -> Directory:
        secret = entra_fake.CLIENT_SECRET if account == "guichet" else "Zq8~not-the-secret"
        settings = EntraSettings(
            tenant_id=entra_fake.TENANT,
            client_id=entra_fake.CLIENT_ID,
            client_secret=SecretStr(secret),
            login_url=url or server.url,
            graph_url=url or server.url,
            **QUICK,
        )
        return build_directory(DirectorySettings(backend="entra", entra=settings))

    def lock(directory: Directory, email: str) -> None:
        """Smart lockout happens at sign-in and Graph never shows it: nothing to set here."""

    def holds(directory: Directory, email: str, password: str) -> bool:
        user_id = entra.user_id(email)
        return entra.passwords.get(user_id) == password and not entra.force_change[user_id]

    try:
        yield DirectoryHarness(
            "entra",
            build,
            lock,
            refuses_reuse=False,
            can_unlock=False,
            faults=faults,
            secrets=(entra_fake.CLIENT_SECRET,),
            peer=entra,
            url=server.url,
            token_requests=lambda: entra.token_requests,
            holds=holds,
        )
    finally:
        server.stop()


def keycloak_harness() -> Iterator[DirectoryHarness]:
    faults = Faults()
    app, keycloak = keycloak_fake.keycloak_app(faults)
    server = LocalServer(app).start()

    def build(account: Account, url: str | None) -> Directory:
        secret = keycloak_fake.CLIENT_SECRET if account == "guichet" else "kc-not-the-secret"
        settings = KeycloakSettings(
            base_url=url or server.url,
            realm=keycloak_fake.REALM,
            client_id=keycloak_fake.CLIENT_ID,
            client_secret=SecretStr(secret),
            **QUICK,
        )
        return build_directory(DirectorySettings(backend="keycloak", keycloak=settings))

    def lock(directory: Directory, email: str) -> None:
        with keycloak.lock:
            keycloak.lock_out(keycloak.user_id(email))

    def holds(directory: Directory, email: str, password: str) -> bool:
        user_id = keycloak.user_id(email)
        history = keycloak.history.get(user_id) or [""]
        required = keycloak.users[user_id]["requiredActions"]
        return history[-1] == keycloak_fake.digest(password) and "UPDATE_PASSWORD" not in required

    try:
        yield DirectoryHarness(
            "keycloak",
            build,
            lock,
            refuses_reuse=True,
            can_unlock=True,
            faults=faults,
            secrets=(keycloak_fake.CLIENT_SECRET,),
            peer=keycloak,
            url=server.url,
            token_requests=lambda: keycloak.token_requests,
            holds=holds,
        )
    finally:
        server.stop()


def ldap_harness() -> Iterator[DirectoryHarness]:
    """A real OpenLDAP slapd (ppolicy, memberof, StartTLS), fresh for each test, whose third
    database holds the contract's people (tests/slapd.py)."""
    with tempfile.TemporaryDirectory(prefix="slapd-contract-") as run:
        running = start_slapd(Path(run))

        def build(account: Account, url: str | None) -> Directory:
            password = SERVICE_PASSWORD if account == "guichet" else "not-the-service-secret"
            settings = LdapSettings(
                urls=[url or running.url],
                ca_file=running.ca_file,
                bind_dn=CONTRACT_SERVICE_DN,
                bind_password=SecretStr(password),
                people_base=f"ou=people,{CONTRACT_BASE}",
                groups_base=f"ou=groups,{CONTRACT_BASE}",
                timeout_seconds=5,
            )
            return build_directory(DirectorySettings(backend="ldap", ldap=settings))

        def bind(email: str, password: str) -> bool:
            connection = Connection(
                Server(running.url, tls=Tls(validate=ssl.CERT_NONE)),
                user=contract_dn(email.split("@")[0].lower()),
                password=password,
                raise_exceptions=False,
            )
            connection.open()
            connection.start_tls()
            try:
                return bool(connection.bind())
            finally:
                connection.unbind()

        def lock(directory: Directory, email: str) -> None:
            for _ in range(3):  # ppolicy: locked after three failed binds
                assert not bind(email, "not-the-password")

        try:
            yield DirectoryHarness(
                "ldap",
                build,
                lock,
                refuses_reuse=True,
                can_unlock=True,
                secrets=(SERVICE_PASSWORD,),
                url=running.url,
                holds=lambda directory, email, password: bind(email, password),
            )
        finally:
            running.stop()


HARNESSES: dict[str, Callable[[], Iterator[DirectoryHarness]]] = {
    "builtin": builtin_harness,
    "entra": entra_harness,
    "keycloak": keycloak_harness,
    "ldap": ldap_harness,
}
