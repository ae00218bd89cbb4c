"""One-time codes and reset links in the database: digests only, single use, expiry, tries,
replacement, a limit per hour."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.kernel.domain import utcnow
from bot.kernel.self_service import CodeCheck, TooManyCodes
from bot.self_service.codes import OneTimeCodes
from bot.self_service.digests import Digests
from bot.self_service.links import ResetLinks
from bot.storage.database import Database
from bot.storage.tables import OneTimeCodeRow, ResetLinkRow

DANA = "dana@norvane.example"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    opened = Database(database_url)
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
def codes(database: Database) -> OneTimeCodes:
    return OneTimeCodes(database, Digests("test-secret"))


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_works_once_and_only_its_keyed_digest_is_stored(
    codes: OneTimeCodes, database: Database
) -> None:
    now = utcnow()
    code = await codes.issue(DANA.upper(), "mobile", now=now)
    assert len(code) == 6 and code.isdigit()
    async with database.sessions() as session:
        [row] = (await session.scalars(select(OneTimeCodeRow))).all()
    assert code not in row.digest and row.user_email == DANA and row.destination == "mobile"
    assert row.digest != OneTimeCodes(database, Digests("other-secret"))._digest(DANA, code)
    assert await codes.verify(DANA, code, now=now) is CodeCheck.VALID
    assert await codes.verify(DANA, code, now=now) is CodeCheck.GONE  # single use


async def test_a_code_expires_after_ten_minutes(codes: OneTimeCodes) -> None:
    now = utcnow()
    code = await codes.issue(DANA, "mobile", now=now)
    later = now + timedelta(minutes=10, seconds=1)
    assert await codes.verify(DANA, code, now=later) is CodeCheck.GONE


async def test_three_tries_then_the_code_is_dead(codes: OneTimeCodes) -> None:
    now = utcnow()
    code = await codes.issue(DANA, "mobile", now=now)
    assert await codes.verify(DANA, _other(code), now=now) is CodeCheck.WRONG
    assert await codes.verify(DANA, _other(code), now=now) is CodeCheck.WRONG
    assert await codes.verify(DANA, _other(code), now=now) is CodeCheck.WRONG
    assert await codes.verify(DANA, code, now=now) is CodeCheck.GONE


async def test_a_new_code_replaces_the_previous_one(codes: OneTimeCodes) -> None:
    now = utcnow()
    first = await codes.issue(DANA, "mobile", now=now)
    second = await codes.issue(DANA, "email", now=now + timedelta(seconds=40))
    if first != second:
        assert await codes.verify(DANA, first, now=now) is CodeCheck.WRONG
    assert await codes.verify(DANA, second, now=now) is CodeCheck.VALID
    assert await codes.verify("sam.taylor@norvane.example", second, now=now) is CodeCheck.GONE


async def test_at_most_five_codes_an_hour(codes: OneTimeCodes) -> None:
    start = utcnow()
    for minute in range(5):
        await codes.issue(DANA, "mobile", now=start + timedelta(minutes=minute * 5))
    with pytest.raises(TooManyCodes) as refused:
        await codes.issue(DANA, "mobile", now=start + timedelta(minutes=30))
    assert refused.value.fields["minutes"] == 30  # the first one leaves the hour at 60
    await codes.issue("sam.taylor@norvane.example", "mobile", now=start + timedelta(minutes=30))
    assert await codes.issue(DANA, "mobile", now=start + timedelta(minutes=61))


async def test_a_reset_link_is_single_use_and_expires(database: Database) -> None:
    links = ResetLinks(database, Digests("test-secret"))
    now = utcnow()
    token = await links.issue(DANA, language="fr", now=now)
    async with database.sessions() as session:
        [row] = (await session.scalars(select(ResetLinkRow))).all()
    assert token not in row.token_digest
    found = await links.find(token, now=now)
    assert found is not None and found.email == DANA and found.language == "fr"
    assert await links.find(token, now=now + timedelta(minutes=15, seconds=1)) is None
    assert await links.find(token + "x", now=now) is None
    assert await links.claim(token, now=now)
    assert not await links.claim(token, now=now)  # a second request finds it spent
    await links.release(token)  # the directory refused the password: usable again
    assert await links.find(token, now=now) is not None
    assert await links.claim(token, now=now)
    assert await links.find(token, now=now) is None
