"""Where each user can be reached, per channel; users are the same person across channels by e-mail.

Tickets name their requester by e-mail, so a ticket opened in Slack can be followed in Teams or on
the web: every channel records the user's address when they talk (`touch`), and ticket updates go
to the channel they used last (`last_used`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.kernel.domain import utcnow
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import ChannelAddressRow


class ChannelAddress(BaseModel):
    """What a channel needs to push to one user (a Slack channel id, a Teams conversation
    reference, a web conversation id), and when the user last spoke on that channel."""

    email: str
    channel: str
    address: dict[str, Any]
    last_used_at: datetime


def normalise_email(email: str) -> str:
    return email.strip().lower()


class ChannelAddressStore:
    def __init__(self, database: Database) -> None:
        self._sessions = database.sessions

    async def touch(self, *, email: str, channel: str, address: dict[str, Any]) -> ChannelAddress:
        """Record that the user just used `channel`, reachable at `address`."""
        email, now = normalise_email(email), utcnow()
        for _ in range(2):  # a concurrent first touch may win the insert; the update then applies
            async with self._sessions.begin() as session:
                changed = await session.execute(
                    update(ChannelAddressRow)
                    .where(ChannelAddressRow.email == email, ChannelAddressRow.channel == channel)
                    .values(address=address, last_used_at=now)
                )
                if changed.rowcount:  # type: ignore[attr-defined]
                    break
            try:
                async with self._sessions.begin() as session:
                    session.add(
                        ChannelAddressRow(
                            email=email, channel=channel, address=address, last_used_at=now
                        )
                    )
                break
            except IntegrityError:
                continue
        return ChannelAddress(email=email, channel=channel, address=address, last_used_at=now)

    async def last_used(self, email: str) -> ChannelAddress | None:
        """The channel the user spoke on most recently, or None if they never did."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(ChannelAddressRow)
                .where(ChannelAddressRow.email == normalise_email(email))
                .order_by(ChannelAddressRow.last_used_at.desc(), ChannelAddressRow.id.desc())
                .limit(1)
            )
        return _address(row) if row else None

    async def get(self, email: str, channel: str) -> ChannelAddress | None:
        """The user's address on one channel."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(ChannelAddressRow).where(
                    ChannelAddressRow.email == normalise_email(email),
                    ChannelAddressRow.channel == channel,
                )
            )
        return _address(row) if row else None


def _address(row: ChannelAddressRow) -> ChannelAddress:
    return ChannelAddress(
        email=row.email,
        channel=row.channel,
        address=row.address,
        last_used_at=as_utc(row.last_used_at),
    )
