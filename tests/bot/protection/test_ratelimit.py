"""Moving-window rate limits, in memory and shared through the real Redis at 127.0.0.1:6379."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from bot.protection.errors import RateLimited
from bot.protection.ratelimit import RateLimits
from bot.settings.limits import LimitSettings

REDIS_URL = "redis://127.0.0.1:6379/0"


def _settings(**rates: str) -> LimitSettings:
    """Unique key prefix per test: runs never see each other's counts."""
    return LimitSettings(redis_key_prefix=f"guichet-test:{uuid.uuid4().hex}", **rates)


@pytest.fixture(
    params=[
        pytest.param(None, marks=pytest.mark.unit, id="memory"),
        pytest.param(REDIS_URL, marks=pytest.mark.integration, id="redis"),
    ]
)
def redis_url(request: pytest.FixtureRequest) -> str | None:
    url: str | None = request.param
    return url


@pytest.fixture
async def limits(redis_url: str | None) -> AsyncIterator[RateLimits]:
    opened = RateLimits(
        _settings(messages_per_user="3/minute", messages_per_ip="5/minute"), redis_url
    )
    yield opened
    await opened.aclose()


async def test_the_fourth_message_in_a_minute_is_refused_with_retry_after(
    limits: RateLimits,
) -> None:
    for _ in range(3):
        await limits.check("messages", user="ann", ip="10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        await limits.check("messages", user="ann", ip="10.0.0.1")
    assert refused.value.fields["scope"] == "user"
    assert refused.value.fields["limit"] == "3 per 1 minute"
    assert 1 <= int(str(refused.value.fields["retry_after"])) <= 60


async def test_users_are_counted_apart_and_the_address_for_all(limits: RateLimits) -> None:
    for user in ("ann", "ann", "bob", "bob", "cy"):
        await limits.check("messages", user=user, ip="10.0.0.2")
    with pytest.raises(RateLimited) as refused:  # sixth message from this address
        await limits.check("messages", user="dan", ip="10.0.0.2")
    assert refused.value.fields["scope"] == "ip"
    await limits.check("messages", user="dan", ip="10.0.0.3")


async def test_categories_have_their_own_counts(limits: RateLimits) -> None:
    for _ in range(3):
        await limits.check("messages", user="ann", ip=None)
    await limits.check("suggestions", user="ann", ip=None)
    await limits.check("writes", user="ann", ip=None)


async def test_the_window_moves(redis_url: str | None) -> None:
    limits = RateLimits(_settings(messages_per_user="2/second"), redis_url)
    try:
        await limits.check("messages", user="ann", ip=None)
        await limits.check("messages", user="ann", ip=None)
        with pytest.raises(RateLimited):
            await limits.check("messages", user="ann", ip=None)
        await asyncio.sleep(1.1)
        await limits.check("messages", user="ann", ip=None)
    finally:
        await limits.aclose()


async def test_an_empty_rate_or_disabled_limits_count_nothing(redis_url: str | None) -> None:
    unlimited = RateLimits(_settings(messages_per_user="", messages_per_ip=""), redis_url)
    disabled = RateLimits(LimitSettings(enabled=False, messages_per_user="1/minute"), redis_url)
    try:
        for _ in range(5):
            await unlimited.check("messages", user="ann", ip="10.0.0.4")
            await disabled.check("messages", user="ann", ip="10.0.0.4")
    finally:
        await unlimited.aclose()
        await disabled.aclose()


@pytest.mark.integration
async def test_processes_share_the_count_through_redis() -> None:
    """Two limiters with the same prefix stand for two API processes."""
    settings = _settings(messages_per_user="4/minute")
    first, second = RateLimits(settings, REDIS_URL), RateLimits(settings, REDIS_URL)
    try:
        await asyncio.gather(
            *(limiter.check("messages", user="ann", ip=None) for limiter in (first, second) * 2)
        )
        with pytest.raises(RateLimited):
            await second.check("messages", user="ann", ip=None)
        with pytest.raises(RateLimited):
            await first.check("messages", user="ann", ip=None)
        client = redis.Redis.from_url(REDIS_URL)
        keys = await client.keys(f"{settings.redis_key_prefix}*")
        await client.delete(*keys)
        await client.aclose()
        assert keys
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.integration
async def test_unreachable_redis_lets_requests_through(caplog: pytest.LogCaptureFixture) -> None:
    limits = RateLimits(_settings(messages_per_user="1/minute"), "redis://127.0.0.1:1/0")
    try:
        await limits.check("messages", user="ann", ip=None)
        await limits.check("messages", user="ann", ip=None)
    finally:
        await limits.aclose()
    assert "rate limits not enforced: Redis unavailable" in caplog.text


def test_a_wrong_rate_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.kernel.errors import SettingsInvalid
    from bot.settings import load_settings

    monkeypatch.setenv("GUICHET_LIMITS__MESSAGES_PER_USER", "thirty a minute")
    with pytest.raises(SettingsInvalid, match="GUICHET_LIMITS__MESSAGES_PER_USER"):
        load_settings()


async def _window(settings: LimitSettings, *parts: str) -> int:
    """Hits counted in Redis for one limit (the moving window's list)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = await client.keys(f"{settings.redis_key_prefix}*{'*'.join(parts)}*")
        assert len(keys) == 1, keys
        return int(await client.llen(keys[0]))
    finally:
        await client.aclose()


@pytest.mark.integration
async def test_a_generous_limit_takes_hits_from_redis_a_few_at_a_time() -> None:
    settings = _settings(suggestions_per_user="300/minute", lease_hits=4)
    limits = RateLimits(settings, REDIS_URL)
    try:
        assert limits.lease_size(limits.items["suggestions", "user"]) == 4
        assert limits.lease_size(limits.items["messages", "user"]) == 1  # 30 a minute: exact
        for _ in range(4):
            await limits.check("suggestions", user="ann", ip=None)
        assert await _window(settings, "suggestions", "ann") == 4  # one round trip for four
        await limits.check("suggestions", user="ann", ip=None)
        assert await _window(settings, "suggestions", "ann") == 8
    finally:
        await limits.aclose()


@pytest.mark.integration
async def test_leases_never_let_more_than_the_limit_through() -> None:
    """Two processes leasing from one limit: together never over it, and the last hits are
    counted one at a time, so that hardly any is refused early."""
    settings = _settings(suggestions_per_user="100/minute", lease_hits=8)
    first, second = RateLimits(settings, REDIS_URL), RateLimits(settings, REDIS_URL)
    admitted = 0
    try:
        assert first.lease_size(first.items["suggestions", "user"]) == 2
        for number in range(120):
            try:
                await (first, second)[number % 3 == 0].check("suggestions", user="ann", ip=None)
            except RateLimited:
                continue
            admitted += 1
        assert await _window(settings, "suggestions", "ann") == 100
        assert 99 <= admitted <= 100
    finally:
        await first.aclose()
        await second.aclose()


@pytest.mark.integration
async def test_hits_taken_ahead_expire() -> None:
    settings = _settings(suggestions_per_user="300/minute", lease_hits=4, lease_seconds=0.2)
    limits = RateLimits(settings, REDIS_URL)
    try:
        await limits.check("suggestions", user="ann", ip=None)
        await asyncio.sleep(0.3)
        await limits.check("suggestions", user="ann", ip=None)  # a new lease, not the old one
        assert await _window(settings, "suggestions", "ann") == 8
    finally:
        await limits.aclose()


async def test_without_redis_every_hit_is_counted_in_memory() -> None:
    limits = RateLimits(_settings(suggestions_per_user="300/minute"))
    assert limits.lease_size(limits.items["suggestions", "user"]) == 1
    await limits.aclose()
