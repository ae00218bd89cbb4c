"""The demo directory of `make run`: every address of one domain is a person.

A few people are named (a manager, a service-desk lead) so that approvals reach someone; any
other address of the domain is a person whose name comes from the address and whose manager is
Claire Martin. Codes go to a phone number derived from the address (and to the work address for
e-mail), which only the demo inbox ever shows. Passwords are kept as salted digests, only to
apply the policy (length, history) a real directory applies.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from bot.kernel.directory import (
    CodeDestination,
    DestinationKind,
    HealthCheck,
    PasswordRejected,
    Person,
    PersonNotFound,
    PolicyReason,
)
from bot.settings.directory import BuiltinDirectorySettings

NAME = "builtin"


@dataclass(frozen=True)
class _Named:
    name: str
    department: str
    site: str
    manager: str | None
    language: str | None = None
    groups: frozenset[str] = frozenset()


_PEOPLE: dict[str, _Named] = {
    "claire.martin": _Named("Claire Martin", "Finance", "Lyon", "paul.bernard", "fr"),
    "paul.bernard": _Named("Paul Bernard", "Direction", "Paris", None, "fr"),
    "sam.taylor": _Named(
        "Sam Taylor", "IT", "London", "paul.bernard", "en", frozenset({"service-desk"})
    ),
    "marie.dupont": _Named("Marie Dupont", "Sales", "Lyon", "claire.martin", "fr"),
    "john.smith": _Named("John Smith", "Sales", "London", "claire.martin", "en"),
}
DEFAULT_MANAGER = "claire.martin"


def _name_of(local: str) -> str:
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


@dataclass
class BuiltinDirectory:
    settings: BuiltinDirectorySettings = field(default_factory=BuiltinDirectorySettings)
    name: str = NAME
    locked: set[str] = field(default_factory=set)
    groups: dict[str, set[str]] = field(default_factory=dict)
    _history: dict[str, list[tuple[bytes, bytes]]] = field(default_factory=dict)

    def _local(self, email: str) -> str | None:
        local, _, domain = email.strip().lower().partition("@")
        return local if local and domain == self.settings.domain else None

    async def lookup(self, email: str) -> Person | None:
        local = self._local(email)
        if local is None:
            return None
        address = f"{local}@{self.settings.domain}"
        named = _PEOPLE.get(local)
        manager = named.manager if named else DEFAULT_MANAGER
        digits = f"{int(hashlib.sha256(address.encode()).hexdigest(), 16) % 100:02d}"
        phone = f"+336120000{digits}"
        return Person(
            email=address,
            name=named.name if named else _name_of(local),
            language=named.language if named else None,
            department=named.department if named else None,
            site=named.site if named else None,
            manager=f"{manager}@{self.settings.domain}" if manager else None,
            groups=(named.groups if named else frozenset()) | self.groups.get(address, set()),
            locked=address in self.locked,
            destinations=(
                CodeDestination("mobile", DestinationKind.SMS, phone),
                CodeDestination("mobile-voice", DestinationKind.VOICE, phone),
                CodeDestination("email", DestinationKind.EMAIL, address),
            ),
        )

    async def _person(self, email: str) -> Person:
        person = await self.lookup(email)
        if person is None:
            raise PersonNotFound(backend=self.name, email=email)
        return person

    async def set_password(self, email: str, new_password: str) -> None:
        person = await self._person(email)
        if len(new_password) < self.settings.min_password_length:
            raise PasswordRejected(
                backend=self.name,
                reason=PolicyReason.TOO_SHORT,
                detail=f"at least {self.settings.min_password_length} characters",
                min_length=self.settings.min_password_length,
            )
        history = self._history.setdefault(person.email, [])
        if any(_digest(new_password, salt) == digest for salt, digest in history):
            raise PasswordRejected(backend=self.name, reason=PolicyReason.IN_HISTORY)
        salt = secrets.token_bytes(16)
        history.append((salt, _digest(new_password, salt)))
        del history[: max(0, len(history) - self.settings.password_history)]
        self.locked.discard(person.email)

    async def unlock(self, email: str) -> None:
        self.locked.discard((await self._person(email)).email)

    async def add_to_group(self, email: str, group: str) -> None:
        self.groups.setdefault((await self._person(email)).email, set()).add(group)

    async def members(self, group: str) -> list[Person]:
        emails = {
            f"{local}@{self.settings.domain}" for local, p in _PEOPLE.items() if group in p.groups
        }
        emails |= {email for email, groups in self.groups.items() if group in groups}
        return [person for email in sorted(emails) if (person := await self.lookup(email))]

    async def health(self) -> list[HealthCheck]:
        return [
            HealthCheck(
                "directory",
                True,
                f"builtin demo directory for @{self.settings.domain} (development only)",
            )
        ]

    async def aclose(self) -> None:
        return None


def _digest(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
