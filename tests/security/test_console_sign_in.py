"""Issue 13, row 2: console passwords could be guessed without limit (250 wrong passwords from
one address in 64 s, then the right one worked). Failed sign-ins are now throttled per account
and per address: growing waits, then a lock an admin can lift; the same answers for an account
that does not exist. Through the real form (CSRF included), in memory and in Redis."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import unescape

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from bot.app.cli.main import app as cli
from bot.app.web import create_app
from bot.services import Services
from bot.settings import Settings
from bot.settings.limits import SignInLimitSettings

pytestmark = pytest.mark.slow
HTML = {"Accept": "text/html"}
AGENT = "zoe@norvane.example"
NOBODY = "nobody@norvane.example"
PASSWORD = "correct horse 42"
ATTACKER = "203.0.113.66"
COLLEAGUE = "198.51.100.7"


def with_policy(services: Services, redis_url: str | None = None, **policy: float) -> Settings:
    limits = services.settings.limits.model_copy(
        update={
            "sign_in": SignInLimitSettings(**policy),  # type: ignore[arg-type]
            "redis_key_prefix": f"guichet-test:{uuid.uuid4().hex}",
        }
    )
    return services.settings.model_copy(update={"limits": limits, "redis_url": redis_url})


@asynccontextmanager
async def running(settings: Settings, services: Services) -> AsyncIterator[FastAPI]:
    app = create_app(settings, services)
    async with app.router.lifespan_context(app):
        yield app


def browser(app: FastAPI, address: str, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 50000)),
        base_url="http://guichet.test",
        headers=HTML | headers,
    )


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """The form as a browser sends it: its CSRF token and cookie first."""
    form = await client.get("/console/login")
    token = re.search(r'name="csrf_token" value="([^"]*)"', form.text)
    assert token, form.text
    return await client.post(
        "/console/login",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
    )


async def guess(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """A patient attacker: waits out every short delay, stops at a lock."""
    while True:
        answer = await sign_in(client, email, password)
        if answer.status_code != 429 or int(answer.headers["retry-after"]) > 60:
            return answer
        await asyncio.sleep(0.05)


def alert(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page.text)
    assert found, page.text
    return unescape(found.group(1))


async def unlock(services: Services, monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """`guichet user unlock ...`, as an admin runs it (its own event loop, hence a thread)."""
    monkeypatch.setenv("GUICHET_DATABASE_URL", services.settings.effective_database_url)
    monkeypatch.setenv("GUICHET_DATA_DIR", str(services.settings.data_dir))
    done = await asyncio.to_thread(CliRunner().invoke, cli, ["user", "unlock", *args])
    assert done.exit_code == 0, done.output


async def test_guessing_a_password_ends_in_a_lock_even_for_the_right_password(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    settings = with_policy(
        services, free_failures=3, first_delay_seconds=0.05, lock_after_failures=6
    )
    async with running(settings, services) as app, browser(app, ATTACKER) as attacker:
        for n in range(6):
            wrong = await guess(attacker, AGENT, f"guess {n}")
            assert wrong.status_code == 401
        right = await sign_in(attacker, AGENT, PASSWORD)
        assert right.status_code == 429
        assert 14 * 60 < int(right.headers["retry-after"]) <= 15 * 60
        assert alert(right) == (
            "Too many failed attempts to sign in. Please wait 15 minutes before trying again."
        )
        assert "guichet_session" not in attacker.cookies
        async with browser(app, COLLEAGUE) as elsewhere:  # the account is locked, not only
            assert (await sign_in(elsewhere, AGENT, PASSWORD)).status_code == 429
            locks = await services.auth.audit_entries(target_kind="user", target=AGENT)
            assert "login.locked" in [entry.action for entry in locks]
            await unlock(services, monkeypatch, AGENT)
            assert (await sign_in(elsewhere, AGENT, PASSWORD)).status_code == 303
    unlocks = await services.auth.audit_entries(target_kind="user", target=AGENT)
    assert [e.actor.startswith("cli:") for e in unlocks if e.action == "login.unlock"] == [True]


async def test_each_further_wrong_password_doubles_the_wait_named_in_the_users_language(
    services: Services,
) -> None:
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    settings = with_policy(services, free_failures=2, first_delay_seconds=2, lock_after_failures=9)
    async with running(settings, services) as app:
        async with browser(app, ATTACKER, **{"Accept-Language": "fr"}) as attacker:
            for n in range(2):
                assert (await sign_in(attacker, AGENT, f"guess {n}")).status_code == 401
            first = await sign_in(attacker, AGENT, PASSWORD)
            assert first.status_code == 429 and first.headers["retry-after"] == "2"
            assert alert(first) == (
                "Trop de tentatives de connexion échouées. Patientez 2 secondes avant de réessayer."
            )
            await asyncio.sleep(2.1)
            assert (await sign_in(attacker, AGENT, "guess 2")).status_code == 401
            second = await sign_in(attacker, AGENT, PASSWORD)
            assert second.status_code == 429 and second.headers["retry-after"] == "4"
        async with browser(app, ATTACKER, Accept="application/json") as script:
            refused = await sign_in(script, AGENT, PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["error"] == "SignInThrottled"
    assert 1 <= int(refused.headers["retry-after"]) <= 4


async def test_one_address_guessing_many_accounts_is_throttled(services: Services) -> None:
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    settings = with_policy(services, free_failures=3, first_delay_seconds=30)
    async with running(settings, services) as app:
        async with browser(app, ATTACKER) as attacker:
            for n in range(3):
                answer = await sign_in(attacker, f"user{n}@norvane.example", "123456")
                assert answer.status_code == 401
            next_account = await sign_in(attacker, AGENT, PASSWORD)
        async with browser(app, COLLEAGUE) as colleague:
            own = await sign_in(colleague, AGENT, PASSWORD)
    assert next_account.status_code == 429 and int(next_account.headers["retry-after"]) == 30
    assert own.status_code == 303  # the agent, from their own address, is not held up


@pytest.mark.usefixtures("production_password_hashing")  # what the dummy hash is made for
async def test_an_unknown_account_gets_the_same_answers_in_similar_time(
    services: Services,
) -> None:
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    settings = with_policy(services, free_failures=3, first_delay_seconds=30)
    answers: dict[str, list[tuple[int, str | None, str]]] = {}
    seconds: dict[str, list[float]] = {}
    async with running(settings, services) as app:
        for email, address in ((AGENT, ATTACKER), (NOBODY, COLLEAGUE)):
            async with browser(app, address) as client:
                answers[email], seconds[email] = [], []
                for n in range(4):
                    started = time.perf_counter()
                    page = await sign_in(client, email, f"guess {n}")
                    seconds[email].append(time.perf_counter() - started)
                    answers[email].append(
                        (page.status_code, page.headers.get("retry-after"), alert(page))
                    )
    assert answers[AGENT] == answers[NOBODY]
    assert [status for status, _, _ in answers[AGENT]] == [401, 401, 401, 429]
    known, unknown = statistics.median(seconds[AGENT][:3]), statistics.median(seconds[NOBODY][:3])
    assert max(known, unknown) < 4 * min(known, unknown), (known, unknown)


@pytest.mark.integration
async def test_two_processes_share_the_lock_through_redis(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps on the real Redis stand for two processes behind a load balancer."""
    await services.auth.create_user(AGENT, role="agent", password=PASSWORD)
    settings = with_policy(
        services,
        "redis://127.0.0.1:6379/0",
        free_failures=2,
        first_delay_seconds=0.05,
        lock_after_failures=4,
    )
    async with (
        running(settings, services) as first,
        running(settings, services) as second,
        browser(first, ATTACKER) as one,
        browser(second, ATTACKER) as other,
    ):
        for n in range(4):
            assert (await guess(one if n % 2 else other, AGENT, f"g{n}")).status_code == 401
        for client in (one, other):
            locked = await sign_in(client, AGENT, PASSWORD)
            assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 800
        throttle = first.state.sign_in_throttle
        assert throttle.redis is not None
        pattern = f"{throttle.prefix}:*"
        assert len(await throttle.redis.keys(pattern)) == 2  # the account, the address
        await unlock(services, monkeypatch, AGENT, "--address", ATTACKER)
        assert (await sign_in(other, AGENT, PASSWORD)).status_code == 303
        assert (await sign_in(one, AGENT, PASSWORD)).status_code == 303
        assert await throttle.redis.keys(pattern) == []  # the locks lifted are forgotten
