"""The demo inbox of development: codes are kept in memory, for the demo inbox page to show
to the person they were sent to. Nothing leaves the process."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.kernel.delivery import CodeMessage
from bot.kernel.directory import DestinationKind, HealthCheck

NAME = "demo"
KEPT = 50  # the latest messages; older ones are dropped


@dataclass(frozen=True)
class DemoMessage:
    message: CodeMessage
    sent_at: datetime


@dataclass
class DemoInbox:
    name: str = NAME
    kinds: frozenset[DestinationKind] = frozenset(DestinationKind)
    messages: list[DemoMessage] = field(default_factory=list)

    async def send(self, message: CodeMessage) -> None:
        self.messages.append(DemoMessage(message, datetime.now(UTC)))
        del self.messages[:-KEPT]

    def for_addresses(self, addresses: set[str]) -> list[DemoMessage]:
        """The messages sent to any of `addresses`, newest first."""
        return [m for m in reversed(self.messages) if m.message.destination.address in addresses]

    async def health(self) -> list[HealthCheck]:
        return [HealthCheck("demo inbox", True, "codes kept in memory (development only)")]

    async def aclose(self) -> None:
        return None
