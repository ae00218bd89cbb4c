"""One TLS-protected, bound ldap3 connection, and entries read from it.

ldap3 is synchronous: `LdapDirectory` calls these from a worker thread, never on the event loop.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ldap3 import NONE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.dn import parse_dn

from bot.kernel.directory import DirectoryUnavailable, HealthCheck
from bot.settings.directory import LdapSettings
from connectors.directory.ldap_policy import active_directory_bind_problem

NAME = "ldap"
# Result codes read by name below (RFC 4511).
SUCCESS, NO_SUCH_ATTRIBUTE, ATTRIBUTE_EXISTS, NO_SUCH_OBJECT, ENTRY_EXISTS = 0, 16, 20, 32, 68
SIZE_LIMIT_EXCEEDED = 4

Record = Callable[[HealthCheck], None]


class CheckedTls(Tls):
    """ldap3's Tls with the server's name checked by the ssl module itself: ldap3 checks it with
    `ssl.match_hostname`, deprecated since Python 3.7 and gone in 3.12."""

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(cafile=self.ca_certs_file)
        connection.socket = context.wrap_socket(
            connection.socket,
            server_hostname=connection.server.host,
            do_handshake_on_connect=do_handshake,
        )


def unavailable(problem: str) -> DirectoryUnavailable:
    return DirectoryUnavailable(backend=NAME, problem=problem)


def describe(result: dict[str, Any]) -> str:
    """An LDAP result as `description (code): diagnostic message`."""
    message = str(result.get("message") or "").strip().rstrip("\x00").strip()
    text = f"{result.get('description')} ({result.get('result')})"
    return f"{text}: {message}" if message else text


def _tls_problem(exc: BaseException) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return (
            "the server's certificate is not trusted or does not name the server "
            f"({text}); check ca_file and the host name in the URL"
        )
    return text


def close(connection: Connection) -> None:
    """Unbind, or at least close the socket when the connection is already broken."""
    try:
        connection.unbind()
    except LDAPException:
        if connection.socket is not None:
            connection.socket.close()


def open_connection(settings: LdapSettings, record: Record | None = None) -> Connection:
    """Connect, secure (StartTLS on ldap://, TLS from the start on ldaps://) and bind as the
    service account; `record` hears each step that passed or failed."""

    def step(name: str, ok: bool, detail: str) -> None:
        if record is not None:
            record(HealthCheck(f"directory {name}", ok, detail))

    tls = CheckedTls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
    )
    failures: list[str] = []
    for url in settings.urls:  # in order: the first that answers
        server = Server(
            url,
            use_ssl=url.lower().startswith("ldaps://"),
            tls=tls,
            connect_timeout=settings.timeout_seconds,
            get_info=NONE,  # no schema read: faster, and no client-side check of names
        )
        connection = Connection(
            server,
            user=settings.bind_dn,
            password=settings.bind_password.get_secret_value(),
            raise_exceptions=False,
            receive_timeout=math.ceil(settings.timeout_seconds),  # ldap3 packs an integer
            read_only=False,
        )
        try:
            connection.open()
            break
        except LDAPException as exc:
            if connection.socket is not None:  # ldap3 leaves the failed socket open
                connection.socket.close()
            cause = exc.__context__ or exc
            reason = _tls_problem(cause) if isinstance(cause, ssl.SSLError) else str(exc)
            failures.append(f"{url}: {reason}")
    else:
        problem = "cannot connect to " + "; ".join(failures)
        step("connect", False, problem)
        raise unavailable(problem)
    server = connection.server
    step("connect", True, f"connected to {server.host}:{server.port}")
    if server.ssl:
        step("TLS", True, "ldaps: TLS from the start, certificate checked")
    else:
        try:
            started = connection.start_tls()
        except LDAPException as exc:
            problem = f"StartTLS with {server.host}:{server.port} failed: {_tls_problem(exc)}"
            step("TLS", False, problem)
            close(connection)
            raise unavailable(problem) from exc
        if not started:
            problem = (
                f"StartTLS refused by {server.host}:{server.port}: {describe(connection.result)}"
            )
            step("TLS", False, problem)
            close(connection)
            raise unavailable(problem)
        step("TLS", True, "StartTLS, certificate checked")
    if not connection.bind():
        result = connection.result or {}
        meaning = active_directory_bind_problem(str(result.get("message") or ""))
        problem = f"bind as {settings.bind_dn!r} refused: {describe(result)}"
        if meaning:
            problem += f" ({meaning})"
        step("bind", False, problem)
        close(connection)
        raise unavailable(problem)
    step("bind", True, f"bound as {settings.bind_dn}")
    return connection


@dataclass(frozen=True)
class Entry:
    """One entry's DN and raw values, attribute names case-insensitive (AD keeps its own case)."""

    dn: str
    raw: dict[str, list[bytes]]

    @classmethod
    def of(cls, response: dict[str, Any]) -> Entry:
        raw = {name.lower(): list(values) for name, values in response["raw_attributes"].items()}
        return cls(response["dn"], raw)

    def values(self, names: Iterable[str]) -> list[str]:
        for name in names:
            decoded = [v.decode("utf-8", "replace").strip() for v in self.raw.get(name.lower(), [])]
            if decoded := [v for v in decoded if v]:
                return decoded
        return []

    def first(self, names: Iterable[str]) -> str | None:
        found = self.values(names)
        return found[0] if found else None


def rdn_value(dn: str) -> str:
    """The value of a DN's first RDN: `cn=service-desk,ou=groups,...` → `service-desk`."""
    try:
        return str(parse_dn(dn, escape=False)[0][1])
    except (LDAPException, IndexError):
        return dn


def search(
    connection: Connection,
    base: str,
    search_filter: str,
    attributes: list[str],
    *,
    scope: Literal["BASE", "LEVEL", "SUBTREE"] = "SUBTREE",
    size_limit: int = 0,
) -> list[Entry]:
    connection.search(
        base, search_filter, search_scope=scope, attributes=attributes, size_limit=size_limit
    )
    result = connection.result or {}
    if result.get("result") not in (SUCCESS, NO_SUCH_OBJECT, SIZE_LIMIT_EXCEEDED):
        raise unavailable(f"search under {base!r} failed: {describe(result)}")
    return [
        Entry.of(item)
        for item in connection.response or []
        if item.get("type") == "searchResEntry"  # AD also answers with referrals
    ]
