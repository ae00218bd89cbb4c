"""Delivering queued notifications (ticket updates) to the channel each user last used.

A notification is claimed (marked delivered) before it is pushed and released again when the
channel cannot deliver, so several processes never push the same notification twice and nothing
is lost when Slack or Teams is down: it stays queued and the next round retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select, update

from bot.channels.addresses import ChannelAddressStore
from bot.channels.protocol import ChatChannel
from bot.channels.registry import ChannelUnavailable
from bot.dialogue.payloads import parse_payload
from bot.kernel.domain import Reply, bot_turns, utcnow
from bot.kernel.errors import ConversationNotFound
from bot.kernel.language import Language
from bot.kernel.registry import Registry
from bot.storage.conversations import ConversationStore
from bot.storage.database import Database
from bot.storage.tables import NotificationRow

logger = logging.getLogger(__name__)

BATCH = 100  # rows read at a time


@dataclass(frozen=True)
class DispatchReport:
    delivered: int = 0
    kept: int = 0  # the channel could not deliver, or the user has no channel that can push


class NotificationDispatcher:
    def __init__(
        self,
        database: Database,
        addresses: ChannelAddressStore,
        conversations: ConversationStore,
        channels: Registry[ChatChannel],
    ) -> None:
        self._sessions = database.sessions
        self._addresses = addresses
        self._conversations = conversations
        self._channels = channels
        self._wake = asyncio.Event()
        # Run at the start of each round: queue what should have been (untold notice versions).
        self.before_round: Callable[[], Awaitable[object]] | None = None

    def wake(self) -> None:
        """Deliver now rather than at the next interval (called when a notification is queued)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, interval: float) -> None:
        """Deliver until `stop` is set: at each interval, and at once when woken."""
        while not stop.is_set():
            self._wake.clear()
            try:
                if self.before_round is not None:
                    await self.before_round()
                await self.deliver_pending()
            except Exception:  # the loop must outlive a database hiccup; the next round retries
                logger.exception("delivering notifications failed")
            waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def deliver_pending(self) -> DispatchReport:
        """One round over the whole queue, oldest first, a page at a time."""
        delivered = kept = 0
        blocked: set[str] = set()  # a user whose earlier update is stuck: keep later ones in order
        after = 0
        while True:
            async with self._sessions() as session:
                rows = (
                    await session.scalars(
                        select(NotificationRow)
                        .where(NotificationRow.delivered_at.is_(None), NotificationRow.id > after)
                        .order_by(NotificationRow.id)
                        .limit(BATCH)
                    )
                ).all()
            if not rows:
                return DispatchReport(delivered=delivered, kept=kept)
            for row in rows:
                if row.user_id not in blocked and await self._deliver(row):
                    delivered += 1
                else:
                    blocked.add(row.user_id)
                    kept += 1
            after = rows[-1].id

    async def _deliver(self, row: NotificationRow) -> bool:
        address = await self._addresses.last_used(row.user_id)
        name = address.channel if address else row.channel
        if name not in self._channels.names():
            return False
        if not await self._claim(row.id):
            return True  # another process has it
        replies = [Reply.model_validate(r) for r in row.replies.get("replies", [])]
        try:
            conversation_id = await self._conversation_on(name, row, replies)
            await self._channels.get(name).push(
                user_id=row.user_id, conversation_id=conversation_id, replies=replies
            )
        except ChannelUnavailable as exc:
            logger.info("notification %s kept for later: %s", row.id, exc)
            await self._release(row.id)
            return False
        except Exception:
            logger.exception("notification %s could not be pushed to %s", row.id, name)
            await self._release(row.id)
            return False
        return True

    async def _conversation_on(
        self, channel: str, row: NotificationRow, replies: list[Reply]
    ) -> str | None:
        """The conversation the update is shown in on `channel`.

        The notifier already wrote the update into the ticket's own conversation; when the user
        has since moved to another channel, the update is written into their conversation there
        too, so its transcript shows it and a plain "yes" answers "does it work now?".
        """
        if row.channel == channel and row.conversation_id:
            return row.conversation_id
        latest = await self._conversations.latest_for_user(channel=channel, user_id=row.user_id)
        if latest is None:
            return None
        if latest.id == row.conversation_id:
            return latest.id
        language: Language = latest.language
        if row.conversation_id:
            with contextlib.suppress(ConversationNotFound):
                language = (await self._conversations.get(row.conversation_id)).language
        turns = bot_turns(replies, language)
        awaiting = [
            b.payload
            for r in replies
            for b in r.buttons
            if b.payload.startswith("/confirm_resolution")
        ]
        if awaiting:
            parsed = parse_payload(awaiting[0])
            latest.state.awaiting_resolution = parsed.entity("ticket") if parsed else None
        await self._conversations.save(latest, turns)
        return latest.id

    async def _claim(self, notification_id: int) -> bool:
        async with self._sessions.begin() as session:
            claimed = await session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == notification_id, NotificationRow.delivered_at.is_(None)
                )
                .values(delivered_at=utcnow())
            )
        return bool(claimed.rowcount)  # type: ignore[attr-defined]

    async def _release(self, notification_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(NotificationRow)
                .where(NotificationRow.id == notification_id)
                .values(delivered_at=None)
            )
