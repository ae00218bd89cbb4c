"""What goes wrong when several processes share a database and Redis (all HTTP 503)."""

from __future__ import annotations

from bot.kernel.errors import NotReady


class ConversationBusy(NotReady):
    """The previous message of the conversation is still being processed elsewhere."""

    def __init__(self, *, conversation_id: str, waited: float) -> None:
        super().__init__(
            component=f"conversation {conversation_id}",
            reason=f"its previous message was still being processed after {waited:g} s; "
            "send this one again",
        )


class DatabaseUnavailable(NotReady):
    """The database refused or dropped the connection (restarting, failing over)."""

    def __init__(self, *, reason: str) -> None:
        super().__init__(component="database", reason=f"{reason}; try again in a moment")
