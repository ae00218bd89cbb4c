"""What the password-reset action asks of the core: the person behind a conversation, a
one-time code sent to one of their destinations and checked, then an unlock or a one-time link
to Guichet's own reset page. The core keeps the codes (single use, expiring, a few tries, a
few per hour, only a keyed digest stored) and delivers them through the configured senders.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.kernel.directory import CodeDestination, Person
from bot.kernel.errors import GuichetError


class CodeCheck(StrEnum):
    VALID = "valid"
    WRONG = "wrong"  # not this code; tries are left
    GONE = "gone"  # no live code: expired, used, replaced, or out of tries


class TooManyCodes(GuichetError):
    """The person asked for more codes than allowed in an hour (HTTP 429)."""

    message = "{limit} codes in the last hour: the next one can be sent in {minutes} minutes"


@dataclass(frozen=True)
class SentCode:
    destination: CodeDestination
    # In development with the demo sender: the page (a path) where the code can be read.
    demo_inbox: str | None = None


class SelfService(Protocol):
    """Second-factor checks before a password reset or an unlock (see the module docstring).

    Every method may raise `DirectoryUnavailable` (bot.kernel.directory)."""

    async def person(self, email: str) -> Person | None:
        """The person, with only the destinations a configured sender reaches."""
        ...

    async def send_code(
        self, person: Person, destination: CodeDestination, *, language: str
    ) -> SentCode:
        """A new code, replacing the previous one; in the person's language, else `language`.
        Raises `TooManyCodes` or `DeliveryFailed` (bot.kernel.delivery)."""
        ...

    async def verify_code(self, email: str, code: str) -> CodeCheck: ...

    async def unlock(self, email: str) -> None: ...

    async def reset_link(self, email: str, *, language: str) -> str:
        """A one-time path to Guichet's reset page, valid a short while."""
        ...
