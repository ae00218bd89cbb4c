"""The organisation's directory as Guichet sees it: people, their manager and groups, where a
one-time code can reach them, and the three changes self-service may make (set a password,
unlock, add to a group).

Backends (LDAP / Active Directory, Microsoft Entra ID, Keycloak, the demo `builtin`) live in
`connectors.directory` and are chosen by name (`GUICHET_DIRECTORY__BACKEND`) from its registry.
Guichet never reads a password: it only passes the one an employee typed on the reset page to
the directory, which applies its own policy and says why it refused (`PasswordRejected`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from bot.kernel.errors import GuichetError


class DestinationKind(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"


@dataclass(frozen=True)
class CodeDestination:
    """One place a one-time code can be sent: a personal e-mail address or a phone number
    (E.164). `address` is real and never shown or logged: show `masked()`."""

    id: str  # stable within the person: "email", "mobile", "mobile-voice"...
    kind: DestinationKind
    address: str

    def masked(self) -> str:
        if self.kind is DestinationKind.EMAIL:
            local, _, domain = self.address.partition("@")
            return f"{local[:1]}•••@{domain}" if domain else "•••"
        digits = [c for c in self.address if c.isdigit()]
        return f"•• •• •• {''.join(digits[-2:])}" if len(digits) >= 2 else "••"


@dataclass(frozen=True)
class Person:
    """One entry of the directory, looked up by work e-mail (case-insensitive)."""

    email: str
    name: str
    language: str | None = None  # "fr" / "en" when the directory says (preferredLanguage)
    department: str | None = None
    site: str | None = None  # office or city (l, physicalDeliveryOfficeName, officeLocation)
    manager: str | None = None  # the manager's work e-mail
    groups: frozenset[str] = frozenset()
    locked: bool = False
    disabled: bool = False
    destinations: tuple[CodeDestination, ...] = field(default=())


class PolicyReason(StrEnum):
    """Why the directory refused a new password, as far as it says."""

    TOO_SHORT = "too_short"
    IN_HISTORY = "in_history"  # used recently
    TOO_SIMPLE = "too_simple"  # quality / complexity rules
    TOO_SOON = "too_soon"  # changed too recently (minimum age)
    OTHER = "other"


class DirectoryError(GuichetError):
    message = "directory {backend}: {problem}"


class DirectoryUnavailable(DirectoryError):
    """The directory could not be reached or refused Guichet's own credentials (HTTP 503)."""


class PersonNotFound(DirectoryError):
    def __init__(self, *, backend: str, email: str) -> None:
        super().__init__(backend=backend, problem=f"no person with e-mail {email!r}")


class PasswordRejected(DirectoryError):
    """The directory's password policy refused the new password; `reason` says which rule,
    and `min_length` the minimum length when the directory says it (shown to the employee)."""

    def __init__(
        self,
        *,
        backend: str,
        reason: PolicyReason,
        detail: str = "",
        min_length: int | None = None,
    ) -> None:
        super().__init__(backend=backend, problem=f"password refused ({reason}): {detail}")
        self.reason = reason
        self.min_length = min_length


class UnlockUnsupported(DirectoryError):
    """The directory offers no way to clear a lock from outside (Entra ID's smart lockout lifts
    by itself after the tenant's lockout duration): hand the employee over rather than pretend."""

    def __init__(self, *, backend: str, reason: str) -> None:
        super().__init__(backend=backend, problem=f"cannot unlock an account: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class HealthCheck:
    """One line of `guichet doctor`: what was checked, whether it passed, and what was seen."""

    name: str
    ok: bool
    detail: str


class Directory(Protocol):
    """The organisation's directory (see the module docstring)."""

    name: str

    async def lookup(self, email: str) -> Person | None: ...

    async def set_password(self, email: str, new_password: str) -> None:
        """Raises `PasswordRejected` when the policy refuses it, `PersonNotFound` when absent."""
        ...

    async def unlock(self, email: str) -> None:
        """Clear a lockout; `UnlockUnsupported` when the directory cannot, `PersonNotFound`."""
        ...

    async def add_to_group(self, email: str, group: str) -> None: ...

    async def members(self, group: str) -> list[Person]:
        """The people of a group (an approvers' group, say); [] when the group is unknown."""
        ...

    async def health(self) -> list[HealthCheck]:
        """Connect (with TLS where configured), authenticate, look one person up."""
        ...

    async def aclose(self) -> None: ...
