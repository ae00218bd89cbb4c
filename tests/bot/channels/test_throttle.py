"""Chat channels' rate limits: the web API's buckets by e-mail, "slow down" once per window, in
memory and shared through the real Redis at 127.0.0.1:6379."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.channels.throttle import ChannelLimits, Refusal, wait_words
from bot.protection.ratelimit import RateLimits
from bot.settings.limits import LimitSettings

REDIS_URL = "redis://127.0.0.1:6379/0"


def _limits(redis_url: str | None, prefix: str, **rates: str) -> RateLimits:
    return RateLimits(LimitSettings(redis_key_prefix=prefix, **rates), redis_url)


@pytest.fixture
def prefix() -> str:
    return f"guichet-test:{uuid.uuid4().hex}"


@pytest.fixture(
    params=[
        pytest.param(None, marks=pytest.mark.unit, id="memory"),
        pytest.param(REDIS_URL, marks=pytest.mark.integration, id="redis"),
    ]
)
async def redis_url(request: pytest.FixtureRequest, prefix: str) -> AsyncIterator[str | None]:
    url: str | None = request.param
    yield url
    if url is not None:
        client = redis.Redis.from_url(url)
        keys = await client.keys(f"{prefix}*")
        if keys:
            await client.delete(*keys)
        await client.aclose()


class Told:
    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    async def __call__(self, refusal: Refusal) -> None:
        self.refusals.append(refusal)


async def test_told_once_per_window_then_again_after_it(redis_url: str | None, prefix: str) -> None:
    limits = _limits(redis_url, prefix, messages_per_user="1/second")
    chat, told = ChannelLimits(limits), Told()
    try:
        assert await chat.admit("messages", "Ann@Norvane.example", tell=told)
        assert not await chat.admit("messages", "ann@norvane.example ", tell=told)  # same person
        assert not await chat.admit("messages", "ann@norvane.example", tell=told)
        assert await chat.admit("messages", "bo@norvane.example", tell=told)
        assert [r.retry_after for r in told.refusals] == [1]
        assert chat.refusals == 2
        await asyncio.sleep(1.1)
        assert await chat.admit("messages", "ann@norvane.example", tell=told)
        assert not await chat.admit("messages", "ann@norvane.example", tell=told)
        assert len(told.refusals) == 2  # a new window: told again
    finally:
        await limits.aclose()


async def test_categories_are_the_web_apis(redis_url: str | None, prefix: str) -> None:
    limits = _limits(redis_url, prefix, messages_per_user="1/minute", suggestions_per_user="")
    chat, told = ChannelLimits(limits), Told()
    try:
        assert await chat.admit("messages", "ann@norvane.example", tell=told)
        for _ in range(5):
            assert await chat.admit("suggestions", "ann@norvane.example", tell=told)
        refusal = await chat.check("messages", "ann@norvane.example")
        assert refusal is not None and refusal.tell and 1 <= refusal.retry_after <= 60
    finally:
        await limits.aclose()


async def test_a_workspace_budget_is_shared_by_its_users(
    redis_url: str | None, prefix: str
) -> None:
    limits = _limits(redis_url, prefix, messages_per_workspace="2/minute")
    chat, told = ChannelLimits(limits), Told()
    try:
        for email in ("ann@norvane.example", "bo@norvane.example"):
            assert await chat.admit("messages", email, tell=told, workspace="slack:T0NORVANE")
        assert await chat.admit("messages", "cy@norvane.example", tell=told, workspace="slack:T1")
        assert not await chat.admit(
            "messages", "cy@norvane.example", tell=told, workspace="slack:T0NORVANE"
        )
        [refusal] = told.refusals
        assert refusal.scope == "workspace"
        assert refusal.text("en").startswith("Too many people in your organisation")
    finally:
        await limits.aclose()


@pytest.mark.integration
async def test_two_processes_tell_a_user_once(prefix: str) -> None:
    """Two ChannelLimits on one Redis stand for two processes taking Slack's and Teams' calls."""
    settings = LimitSettings(redis_key_prefix=prefix, messages_per_user="2/minute")
    first, second = RateLimits(settings, REDIS_URL), RateLimits(settings, REDIS_URL)
    told = Told()
    try:
        one, other = ChannelLimits(first), ChannelLimits(second)
        assert await one.admit("messages", "ann@norvane.example", tell=told)
        assert await other.admit("messages", "ann@norvane.example", tell=told)
        refused = await asyncio.gather(
            *(c.admit("messages", "ann@norvane.example", tell=told) for c in (one, other) * 3)
        )
        assert refused == [False] * 6
        assert len(told.refusals) == 1
    finally:
        await first.aclose()
        await second.aclose()
        client = redis.Redis.from_url(REDIS_URL)
        await client.delete(*(await client.keys(f"{prefix}*")) or ["none"])
        await client.aclose()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("seconds", "language", "words"),
    [
        (1, "en", "1 second"),
        (45, "en", "45 seconds"),
        (119, "fr", "119 secondes"),
        (121, "en", "3 minutes"),
        (3600, "fr", "60 minutes"),
    ],
)
def test_wait_words(seconds: int, language: str, words: str) -> None:
    assert wait_words(seconds, language) == words  # type: ignore[arg-type]


@pytest.mark.unit
def test_the_reply_says_when_in_both_languages() -> None:
    refusal = Refusal(retry_after=42, tell=True)
    assert "Please wait 42 seconds" in refusal.text("en")
    assert "Merci d'attendre 42 secondes" in refusal.text("fr")
