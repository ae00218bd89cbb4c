"""OpenLDAP or Active Directory as Guichet's directory (`GUICHET_DIRECTORY__BACKEND=ldap`).

Everything goes through one connection of the service account, over TLS, reused and reopened
when the server dropped it; ldap3 is synchronous, so each operation runs in a worker thread.

- OpenLDAP: passwords are set with the Password Modify extended operation (RFC 3062) carrying
  the password policy request control, so that ppolicy says which rule refused one; an account
  is locked while it has `pwdAccountLockedTime`, and unlocking deletes it.
- Active Directory: passwords are set by replacing `unicodePwd` with the quoted password in
  UTF-16-LE (AD accepts it only over an encrypted connection); an account is locked while
  `lockoutTime` > 0 and unlocked by setting it to 0; `userAccountControl` says disabled.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection
from ldap3.core.exceptions import LDAPCommunicationError
from ldap3.utils.conv import escape_filter_chars

from bot.kernel.directory import (
    CodeDestination,
    DestinationKind,
    DirectoryError,
    HealthCheck,
    PasswordRejected,
    Person,
    PersonNotFound,
)
from bot.kernel.errors import SettingsInvalid
from bot.kernel.language import LANGUAGES
from bot.settings.directory import LdapSettings
from connectors.directory.ldap_client import (
    ATTRIBUTE_EXISTS,
    ENTRY_EXISTS,
    NAME,
    NO_SUCH_ATTRIBUTE,
    SUCCESS,
    Entry,
    Record,
    close,
    describe,
    open_connection,
    rdn_value,
    search,
    unavailable,
)
from connectors.directory.ldap_flavours import (
    AD_ACCOUNTDISABLE,
    FLAVOURS,
    OPENLDAP_ADMIN_LOCK,
    mapping,
)
from connectors.directory.ldap_policy import (
    AD_WILL_NOT_PERFORM,
    PPOLICY_OID,
    active_directory_reason,
    openldap_reason,
    ppolicy_error,
)

T = TypeVar("T")


def _required(settings: LdapSettings) -> None:
    for setting, value in (
        ("urls", settings.urls),
        ("bind_dn", settings.bind_dn),
        ("bind_password", settings.bind_password.get_secret_value()),
        ("people_base", settings.people_base),
    ):
        if not value:
            raise SettingsInvalid(
                setting=f"GUICHET_DIRECTORY__LDAP__{setting.upper()}",
                problem="is missing",
                expected={
                    "urls": """a JSON list such as '["ldaps://dc1.corp.example"]'""",
                    "bind_dn": "the DN of Guichet's service account",
                    "bind_password": "the service account's password",
                    "people_base": "the DN under which people are, e.g. 'ou=people,dc=corp'",
                }[setting],
            )


def phone_number(raw: str) -> str | None:
    """A directory phone number in E.164 (`+33612345678`), or None when it is not international."""
    number = re.sub(r"[\s().\-/]", "", raw.replace("(0)", ""))
    if number.startswith("00"):
        number = "+" + number[2:]
    return number if re.fullmatch(r"\+[1-9]\d{6,14}", number) else None


def language_of(value: str | None) -> str | None:
    """`fr`, `fr-FR`, `fr_CA` or `en-GB, fr;q=0.5` (RFC 2798 preferredLanguage) → `fr` / `en`."""
    if not value:
        return None
    primary = value.split(",")[0].split(";")[0].strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else None


def unicode_pwd(password: str) -> bytes:
    """Active Directory's unicodePwd value: the password in double quotes, UTF-16-LE."""
    return f'"{password}"'.encode("utf-16-le")


class LdapDirectory:
    name = NAME

    def __init__(self, settings: LdapSettings) -> None:
        _required(settings)
        self.settings = settings
        self.flavour = FLAVOURS[settings.flavour]
        self.attributes = mapping(settings)
        self.people_filter = settings.people_filter or self.flavour.people_filter
        self.group_class = settings.group_object_class or self.flavour.group_object_class
        self.groups_base = settings.groups_base or settings.people_base
        self._lock = threading.Lock()
        self._connection: Connection | None = None

    # The connection, in the worker thread.

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            close(connection)

    def _with_connection(self, operation: Callable[[Connection], T]) -> T:
        with self._lock:
            for attempt in (1, 2):
                if self._connection is None or self._connection.closed:
                    self._connection = open_connection(self.settings)
                try:
                    return operation(self._connection)
                except LDAPCommunicationError as exc:
                    # Idle connections are dropped by servers (AD after 15 minutes): reopen once.
                    self._drop()
                    if attempt == 2:
                        raise unavailable(f"connection lost: {exc}") from exc
        raise AssertionError("unreachable")

    async def _run(self, operation: Callable[[Connection], T]) -> T:
        return await asyncio.to_thread(self._with_connection, operation)

    # Reading people.

    def _person_attributes(self) -> list[str]:
        return [*self.attributes.all(), *self.flavour.state_attributes]

    def _find(self, connection: Connection, email: str) -> Entry | None:
        value = escape_filter_chars(email.strip())
        either = "".join(f"({name}={value})" for name in self.attributes.email)
        entries = search(
            connection,
            self.settings.people_base,
            f"(&{self.people_filter}(|{either}))",
            self._person_attributes(),
            size_limit=2,
        )
        if len(entries) > 1:
            raise DirectoryError(backend=NAME, problem=f"several entries have the e-mail {email!r}")
        return entries[0] if entries else None

    def _found(self, connection: Connection, email: str) -> Entry:
        entry = self._find(connection, email)
        if entry is None:
            raise PersonNotFound(backend=NAME, email=email)
        return entry

    def _read(self, connection: Connection, dn: str, attributes: list[str]) -> Entry | None:
        found = search(connection, dn, self.people_filter, attributes, scope="BASE")
        return found[0] if found else None

    def _groups(self, connection: Connection, entry: Entry) -> frozenset[str]:
        if self.settings.groups_from == "memberOf":
            return frozenset(rdn_value(dn) for dn in entry.values(self.attributes.groups))
        name = self.settings.group_name_attribute
        found = search(
            connection,
            self.groups_base,
            f"(&(objectClass={self.group_class})(member={escape_filter_chars(entry.dn)}))",
            [name],
        )
        return frozenset(group for e in found if (group := e.first([name])))

    def _state(self, entry: Entry) -> tuple[bool, bool]:
        """(locked, disabled)."""
        if self.flavour.name == "active_directory":
            lockout = entry.first(["lockoutTime"]) or "0"
            control = entry.first(["userAccountControl"]) or "0"
            return (
                lockout.isdigit() and int(lockout) > 0,
                control.isdigit() and bool(int(control) & AD_ACCOUNTDISABLE),
            )
        locked_time = entry.first(["pwdAccountLockedTime"])
        if locked_time == OPENLDAP_ADMIN_LOCK:
            return False, True
        return locked_time is not None, False

    def _destinations(self, entry: Entry) -> tuple[CodeDestination, ...]:
        found: list[CodeDestination] = []
        mobile = next(filter(None, map(phone_number, entry.values(self.attributes.mobile))), None)
        if mobile:
            found.append(CodeDestination("mobile", DestinationKind.SMS, mobile))
            found.append(CodeDestination("mobile-voice", DestinationKind.VOICE, mobile))
        phone = next(filter(None, map(phone_number, entry.values(self.attributes.phone))), None)
        if phone and phone != mobile:
            found.append(CodeDestination("phone-voice", DestinationKind.VOICE, phone))
        personal = entry.first(self.attributes.personal_email)
        if personal and "@" in personal:
            found.append(CodeDestination("email", DestinationKind.EMAIL, personal))
        return tuple(found)

    def _person(self, connection: Connection, entry: Entry, email: str = "") -> Person:
        address = (entry.first(self.attributes.email) or email).lower()
        manager = None
        if manager_dn := entry.first(self.attributes.manager):
            boss = self._read(connection, manager_dn, list(self.attributes.email))
            boss_email = boss.first(self.attributes.email) if boss else None
            manager = boss_email.lower() if boss_email else None
        locked, disabled = self._state(entry)
        return Person(
            email=address,
            name=entry.first(self.attributes.name) or rdn_value(entry.dn),
            language=language_of(entry.first(self.attributes.language)),
            department=entry.first(self.attributes.department),
            site=entry.first(self.attributes.site),
            manager=manager,
            groups=self._groups(connection, entry),
            locked=locked,
            disabled=disabled,
            destinations=self._destinations(entry),
        )

    async def lookup(self, email: str) -> Person | None:
        def operation(connection: Connection) -> Person | None:
            entry = self._find(connection, email)
            return self._person(connection, entry, email) if entry else None

        return await self._run(operation)

    def _group(self, connection: Connection, group: str) -> Entry | None:
        name = self.settings.group_name_attribute
        found = search(
            connection,
            self.groups_base,
            f"(&(objectClass={self.group_class})({name}={escape_filter_chars(group)}))",
            ["member"],
            size_limit=1,
        )
        return found[0] if found else None

    async def members(self, group: str) -> list[Person]:
        def operation(connection: Connection) -> list[Person]:
            entry = self._group(connection, group)
            if entry is None:
                return []
            people = []
            for dn in entry.values(["member"]):
                member = self._read(connection, dn, self._person_attributes())
                if member is not None:  # a nested group or an entry outside people: skipped
                    people.append(self._person(connection, member))
            return sorted(people, key=lambda person: person.email)

        return await self._run(operation)

    # Changes.

    def _modify(self, connection: Connection, dn: str, changes: dict[str, Any]) -> dict[str, Any]:
        connection.modify(dn, changes)  # type: ignore[no-untyped-call]
        return dict(connection.result or {})

    def _set_openldap(self, connection: Connection, dn: str, password: str) -> None:
        connection.extend.standard.modify_password(
            user=dn,
            new_password=password.encode("utf-8"),  # bytes: sent as typed, no SASLprep
            controls=[(PPOLICY_OID, False, None)],
        )
        result = dict(connection.result or {})
        if result.get("result") == SUCCESS:
            return
        control = (result.get("controls") or {}).get(PPOLICY_OID) or {}
        error = ppolicy_error(control.get("value"))
        reason = openldap_reason(error, str(result.get("message") or ""))
        if reason is not None:
            raise PasswordRejected(backend=NAME, reason=reason, detail=error or describe(result))
        raise unavailable(f"password modify of {dn!r} failed: {describe(result)}")

    def _set_active_directory(self, connection: Connection, dn: str, password: str) -> None:
        result = self._modify(
            connection, dn, {"unicodePwd": [(MODIFY_REPLACE, [unicode_pwd(password)])]}
        )
        if result.get("result") == SUCCESS:
            return
        message = str(result.get("message") or "")
        reason = active_directory_reason(message)
        if reason is not None:
            raise PasswordRejected(backend=NAME, reason=reason, detail=describe(result))
        problem = f"setting unicodePwd of {dn!r} failed: {describe(result)}"
        if message.upper().startswith(AD_WILL_NOT_PERFORM):
            problem += (
                "; Active Directory sets passwords only over an encrypted connection and for a "
                "service account with the 'Reset password' permission"
            )
        raise unavailable(problem)

    def _unlock(self, connection: Connection, entry: Entry) -> None:
        if self.flavour.name == "active_directory":
            changes: list[dict[str, Any]] = [{"lockoutTime": [(MODIFY_REPLACE, ["0"])]}]
        else:
            locked_time = entry.first(["pwdAccountLockedTime"])
            if locked_time is None or locked_time == OPENLDAP_ADMIN_LOCK:
                return  # not locked, or disabled by an administrator: not self-service
            changes = [{"pwdAccountLockedTime": [(MODIFY_DELETE, [locked_time])]}]
        for change in changes:
            result = self._modify(connection, entry.dn, change)
            if result.get("result") not in (SUCCESS, NO_SUCH_ATTRIBUTE):
                raise unavailable(f"unlocking {entry.dn!r} failed: {describe(result)}")

    async def set_password(self, email: str, new_password: str) -> None:
        def operation(connection: Connection) -> None:
            entry = self._found(connection, email)
            if self.flavour.name == "active_directory":
                self._set_active_directory(connection, entry.dn, new_password)
            else:
                self._set_openldap(connection, entry.dn, new_password)
            if self._state(entry)[0]:  # a reset by a proven owner also lifts a lockout
                self._unlock(connection, entry)

        await self._run(operation)

    async def unlock(self, email: str) -> None:
        await self._run(lambda connection: self._unlock(connection, self._found(connection, email)))

    async def add_to_group(self, email: str, group: str) -> None:
        def operation(connection: Connection) -> None:
            entry = self._found(connection, email)
            found = self._group(connection, group)
            if found is None:
                raise DirectoryError(
                    backend=NAME, problem=f"no group named {group!r} under {self.groups_base!r}"
                )
            result = self._modify(connection, found.dn, {"member": [(MODIFY_ADD, [entry.dn])]})
            # Already a member: OpenLDAP says attributeOrValueExists, AD entryAlreadyExists.
            if result.get("result") not in (SUCCESS, ATTRIBUTE_EXISTS, ENTRY_EXISTS):
                raise unavailable(f"adding {entry.dn!r} to {found.dn!r} failed: {describe(result)}")

        await self._run(operation)

    # Health.

    def _check(self, record: Record) -> None:
        connection = open_connection(self.settings, record)
        try:
            found = search(
                connection,
                self.settings.people_base,
                self.people_filter,
                list(self.attributes.email),
                size_limit=1,
            )
        except DirectoryError as exc:
            record(HealthCheck("directory lookup", False, str(exc)))
            return
        finally:
            close(connection)
        record(
            HealthCheck(
                "directory lookup",
                bool(found),
                f"a person found under {self.settings.people_base}"
                if found
                else f"no entry matches {self.people_filter} under {self.settings.people_base}",
            )
        )

    async def health(self) -> list[HealthCheck]:
        checks: list[HealthCheck] = []
        with contextlib.suppress(DirectoryError):  # the failing step is among the checks
            await asyncio.to_thread(self._check, checks.append)
        return checks

    async def aclose(self) -> None:
        def close() -> None:
            with self._lock:
                self._drop()

        await asyncio.to_thread(close)
