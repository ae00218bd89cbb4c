"""What the contract tests need from each backend's peer: how to reach it, as whom, and how to
make it fail or change a ticket the way an IT agent would upstream."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.kernel.assets import AssetLink
from bot.kernel.itsm import TicketBackend
from bot.kernel.tickets import Status
from bot.settings.itsm import ItsmSettings
from connectors.itsm.registry import BackendContext, build_backend
from tests.contracts.fakes.faults import Faults

# guichet: the integration account Guichet uses; agent: an IT agent working in the tool itself.
Account = Literal["guichet", "agent", "wrong"]


@dataclass
class Harness:
    name: str
    url: str
    faults: Faults
    settings: Callable[[Account, str], ItsmSettings]  # (account, base URL) → settings
    assign: Callable[[str], Awaitable[None]]  # the agent takes the ticket upstream
    agent: str  # the agent's name as the backend reports it
    missing_id: str  # an upstream id that does not exist
    # A timeout well above one normal call (RT checks a password with bcrypt: ~0.3 s to sign in).
    patience: float = 0.5
    # Statuses the tool has no state of its own for, and what they read back as.
    reads_back: dict[Status, Status] = field(default_factory=dict)
    # For the tools with problem records: a problem's fields as the tool shows them (all its
    # text, in one string), and the problems an incident is linked to there.
    problem_text: Callable[[str], str] | None = None
    linked_problems: Callable[[str], list[str]] | None = None
    # Where the tool is also an asset inventory: a device it holds, for a ticket to link.
    seed_asset: Callable[[], Awaitable[AssetLink]] | None = None

    def backend(
        self, account: Account = "guichet", *, timeout: float = 5.0, url: str | None = None
    ) -> TicketBackend:
        itsm = self.settings(account, url or self.url).model_copy(
            update={"timeout_seconds": timeout}
        )
        return build_backend(self.name, BackendContext(itsm))
