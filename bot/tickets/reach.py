"""Reaching one person outside a reply: on the channel they used last, in their language.

Messages are queued as notifications in the caller's transaction (so that "told once" can be
recorded along with them); the dispatcher (bot/channels/dispatch.py) pushes them to the
channel the person spoke on most recently when it delivers, Slack, Teams or the web widget.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.addresses import ChannelAddressStore, normalise_email
from bot.kernel.domain import Reply, utcnow
from bot.kernel.language import Language
from bot.storage.database import Database
from bot.storage.tables import ChannelAddressRow, ConversationRow, NotificationRow

FALLBACK_CHANNEL = "web"


class Reach:
    def __init__(self, database: Database, *, default_language: Language = "en") -> None:
        self._sessions = database.sessions
        self.addresses = ChannelAddressStore(database)
        self.default_language: Language = default_language
        # Called once something is queued, to deliver it at once (the channel dispatcher).
        self.on_queued: Callable[[], None] | None = None

    async def last_channel(self, email: str) -> str | None:
        address = await self.addresses.last_used(email)
        return address.channel if address else None

    async def language(self, email: str, channel: str | None = None) -> Language:
        """The language of the person's latest conversation (on `channel` when given)."""
        query = select(ConversationRow.language).where(
            ConversationRow.user_id == normalise_email(email)
        )
        if channel is not None:
            query = query.where(ConversationRow.channel == channel)
        async with self._sessions() as session:
            spoken = await session.scalar(query.order_by(ConversationRow.updated_at.desc()))
        return "fr" if spoken == "fr" else "en" if spoken == "en" else self.default_language

    async def reachable(self) -> list[str]:
        """Everyone who has talked to Guichet on a channel that can reach them."""
        async with self._sessions() as session:
            return list((await session.scalars(select(ChannelAddressRow.email).distinct())).all())

    @staticmethod
    def queue(session: AsyncSession, *, email: str, channel: str, replies: list[Reply]) -> None:
        """Add the message to the queue, in `session`'s transaction."""
        session.add(
            NotificationRow(
                user_id=normalise_email(email),
                conversation_id=None,
                channel=channel,
                replies={"replies": [r.model_dump(mode="json") for r in replies]},
                created_at=utcnow(),
                delivered_at=None,
            )
        )

    async def send(self, email: str, replies: list[Reply]) -> None:
        """Queue `replies` for one person in a transaction of its own and deliver them soon:
        on the channel they used last, the web widget when none is known."""
        channel = await self.last_channel(email) or FALLBACK_CHANNEL
        async with self._sessions.begin() as session:
            self.queue(session, email=email, channel=channel, replies=replies)
        self.wake()

    def wake(self) -> None:
        if self.on_queued is not None:
            self.on_queued()
