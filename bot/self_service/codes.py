"""One-time codes: 6 digits, single use, expiring, a few tries each, a few per hour per person.

A new code spends the person's previous one. Only a keyed digest of the code (tied to the
person) is stored, in the database shared by every process; the code itself exists only in
the message that carries it. Rows are deleted an hour after they are spent or expired.
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from bot.kernel.self_service import CodeCheck, TooManyCodes
from bot.self_service.digests import Digests
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import OneTimeCodeRow

CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 3
CODES_PER_HOUR = 5
WINDOW = timedelta(hours=1)
PURPOSE = "code"


class OneTimeCodes:
    def __init__(
        self,
        database: Database,
        digests: Digests,
        *,
        lifetime: timedelta = CODE_LIFETIME,
        max_attempts: int = MAX_ATTEMPTS,
        per_hour: int = CODES_PER_HOUR,
    ) -> None:
        self._sessions = database.sessions
        self._digests = digests
        self.lifetime, self.max_attempts, self.per_hour = lifetime, max_attempts, per_hour

    def _digest(self, email: str, code: str) -> str:
        return self._digests.of(PURPOSE, email.lower(), code)

    async def issue(self, email: str, destination: str, *, now: datetime) -> str:
        """A new code for `email`, spending the previous one; `TooManyCodes` past the limit."""
        email = email.lower()
        async with self._sessions.begin() as session:
            await session.execute(
                delete(OneTimeCodeRow).where(OneTimeCodeRow.created_at < now - WINDOW)
            )
            recent = list(
                await session.scalars(
                    select(OneTimeCodeRow.created_at)
                    .where(OneTimeCodeRow.user_email == email)
                    .where(OneTimeCodeRow.created_at >= now - WINDOW)
                    .order_by(OneTimeCodeRow.created_at)
                )
            )
            if len(recent) >= self.per_hour:
                free_at = as_utc(recent[len(recent) - self.per_hour]) + WINDOW
                minutes = max(1, math.ceil((free_at - now).total_seconds() / 60))
                raise TooManyCodes(limit=self.per_hour, minutes=minutes)
            await session.execute(
                update(OneTimeCodeRow)
                .where(OneTimeCodeRow.user_email == email)
                .where(OneTimeCodeRow.spent.is_(False))
                .values(spent=True)
            )
            code = f"{secrets.randbelow(1_000_000):06d}"
            session.add(
                OneTimeCodeRow(
                    user_email=email,
                    destination=destination,
                    digest=self._digest(email, code),
                    attempts=0,
                    spent=False,
                    created_at=now,
                    expires_at=now + self.lifetime,
                )
            )
        return code

    async def withdraw(self, email: str) -> None:
        """Spend the live code (it could not be delivered); it still counts towards the limit."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OneTimeCodeRow)
                .where(OneTimeCodeRow.user_email == email.lower())
                .where(OneTimeCodeRow.spent.is_(False))
                .values(spent=True)
            )

    async def verify(self, email: str, code: str, *, now: datetime) -> CodeCheck:
        email = email.lower()
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(OneTimeCodeRow)
                .where(OneTimeCodeRow.user_email == email)
                .where(OneTimeCodeRow.spent.is_(False))
                .order_by(OneTimeCodeRow.id.desc())
                .limit(1)
                .with_for_update()
            )
            if row is None or as_utc(row.expires_at) <= now or row.attempts >= self.max_attempts:
                return CodeCheck.GONE
            row.attempts += 1
            if hmac.compare_digest(row.digest, self._digest(email, code.strip())):
                row.spent = True
                return CodeCheck.VALID
            if row.attempts >= self.max_attempts:
                row.spent = True
            return CodeCheck.WRONG

    async def sent_within(self, email: str, *, now: datetime) -> int:
        """How many codes `email` was sent in the last hour."""
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(OneTimeCodeRow)
                .where(OneTimeCodeRow.user_email == email.lower())
                .where(OneTimeCodeRow.created_at >= now - WINDOW)
            )
        return int(count or 0)
