"""The `CodeSender` plug-in point: deliver a one-time code to a `CodeDestination` (e-mail over
SMTP, SMS through a provider, the demo inbox). Senders live in `connectors.delivery`; the code
store (single use, expiry, per-user rate limit, only a digest kept) is not theirs to keep."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.kernel.directory import CodeDestination, DestinationKind, HealthCheck
from bot.kernel.errors import GuichetError


class DeliveryFailed(GuichetError):
    """The code could not be handed to the mail server or the SMS provider; try another way."""

    message = "{sender}: could not deliver the code: {problem}"


@dataclass(frozen=True)
class CodeMessage:
    """What to deliver; `text` and `subject` are already in the person's language."""

    destination: CodeDestination
    code: str
    subject: str
    text: str
    language: str


class CodeSender(Protocol):
    name: str
    kinds: frozenset[DestinationKind]  # the destinations it can reach

    async def send(self, message: CodeMessage) -> None:
        """Raises `DeliveryFailed`; never logs the code or the full address."""
        ...

    async def health(self) -> list[HealthCheck]:
        """Reach the server or provider and authenticate, sending nothing."""
        ...

    async def aclose(self) -> None: ...
