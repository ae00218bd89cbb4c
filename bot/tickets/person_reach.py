"""Sending a message to one person on the channel they used last.

A stand-in for the shared "reach this person" module (issue 17, item 1): it queues the replies
as the ticket notifier does (`TicketNotifier.queue`); the dispatcher pushes them to the channel
the person used last, the web widget when none is known. Point `PersonReach.send` at the shared
module once it exists.
"""

from __future__ import annotations

from bot.kernel.domain import Reply
from bot.tickets.notify import TicketNotifier

FALLBACK_CHANNEL = "web"


class PersonReach:
    def __init__(self, notifier: TicketNotifier) -> None:
        self._notifier = notifier

    async def send(self, email: str, replies: list[Reply]) -> None:
        await self._notifier.queue(email, FALLBACK_CHANNEL, replies)
