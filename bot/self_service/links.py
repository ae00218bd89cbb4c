"""One-time links to Guichet's password reset page: a random token in the path, only its
keyed digest stored. A link works until the directory accepts a new password or it expires;
a password the directory refuses leaves it usable."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from bot.self_service.digests import Digests
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import ResetLinkRow

LINK_LIFETIME = timedelta(minutes=15)
PURPOSE = "reset-link"
KEPT = timedelta(days=1)  # used or expired links are deleted after this


@dataclass(frozen=True)
class ResetLink:
    email: str
    language: str
    expires_at: datetime


class ResetLinks:
    def __init__(
        self, database: Database, digests: Digests, *, lifetime: timedelta = LINK_LIFETIME
    ) -> None:
        self._sessions = database.sessions
        self._digests = digests
        self.lifetime = lifetime

    async def issue(self, email: str, *, language: str, now: datetime) -> str:
        """A new token for `email`; earlier unused links of the person stay valid until they
        expire (each was given in a conversation of theirs)."""
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            await session.execute(delete(ResetLinkRow).where(ResetLinkRow.expires_at < now - KEPT))
            session.add(
                ResetLinkRow(
                    token_digest=self._digests.of(PURPOSE, token),
                    user_email=email.lower(),
                    language=language,
                    created_at=now,
                    expires_at=now + self.lifetime,
                    used_at=None,
                )
            )
        return token

    async def find(self, token: str, *, now: datetime) -> ResetLink | None:
        """The link's person and language while it is unused and unexpired; else None."""
        if not token or len(token) > 100:
            return None
        async with self._sessions() as session:
            row = await session.scalar(
                select(ResetLinkRow).where(
                    ResetLinkRow.token_digest == self._digests.of(PURPOSE, token)
                )
            )
        if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
            return None
        return ResetLink(row.user_email, row.language, as_utc(row.expires_at))

    async def claim(self, token: str, *, now: datetime) -> bool:
        """Spend the link before the directory is asked; False when another request spent it
        first. `release` gives it back when the directory refused the password."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ResetLinkRow)
                .where(ResetLinkRow.token_digest == self._digests.of(PURPOSE, token))
                .where(ResetLinkRow.used_at.is_(None))
                .values(used_at=now)
            )
        return bool(getattr(result, "rowcount", 0))

    async def release(self, token: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(ResetLinkRow)
                .where(ResetLinkRow.token_digest == self._digests.of(PURPOSE, token))
                .values(used_at=None)
            )
