"""Issue 13, row 4: uvicorn believed `X-Forwarded-For` from 127.0.0.1 by default, so after a
429 a caller got through again by naming another address. `guichet serve` now believes it only
from the proxies of GUICHET_FORWARDED_ALLOW_IPS (none by default), in one process and with
`--workers`."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.kernel.errors import SettingsInvalid
from bot.settings import load_settings
from tests.conftest import ROOT, _postgres_database
from tests.contracts.fakes.server import free_port
from tests.faults.processes import Process, environment, wait_ready
from tests.faults.servers import PrivateRedis, private_redis

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SUGGEST = ("/api/v1/suggest", {"q": "vpn", "lang": "en"})
PER_ADDRESS = 3


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_database()


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    yield from private_redis()


def serve(args: list[str], postgres_url: str, log: Path, **extra: str) -> tuple[str, Process]:
    """The real `guichet serve`, this worktree's code, on a free port."""
    port = free_port()
    env = environment(
        postgres_url,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        GUICHET_TICKETS__RUN_SYNC_WORKER="false",
        GUICHET_LIMITS__SUGGESTIONS_PER_IP=f"{PER_ADDRESS}/minute",
        GUICHET_LIMITS__REDIS_KEY_PREFIX=f"guichet-test:{uuid.uuid4().hex}",
        **extra,
    )
    command = [sys.executable, "-m", "bot.app.cli", "serve", "--port", str(port), *args]
    with log.open("wb") as out:
        popen = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    return f"http://127.0.0.1:{port}", Process(popen, log)


async def spoofed_statuses(url: str) -> tuple[list[int], list[int]]:
    """Spend the per-address limit, then send one request per made-up X-Forwarded-For."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        spent = [(await client.get(SUGGEST[0], params=SUGGEST[1])).status_code for _ in range(4)]
        spoofed = [
            (
                await client.get(
                    SUGGEST[0], params=SUGGEST[1], headers={"X-Forwarded-For": f"203.0.113.{n}"}
                )
            ).status_code
            for n in range(1, 4)
        ]
    return spent, spoofed


async def run(args: list[str], postgres_url: str, tmp_path: Path, **extra: str) -> list[int]:
    url, server = serve(args, postgres_url, tmp_path / "serve.log", **extra)
    try:
        await asyncio.to_thread(wait_ready, url, server, 300)
        spent, spoofed = await spoofed_statuses(url)
    finally:
        server.stop()
    assert spent == [200] * PER_ADDRESS + [429], server.log.read_text()[-2000:]
    return spoofed


async def test_a_spoofed_forwarded_for_does_not_escape_a_429_by_default(
    postgres_url: str, tmp_path: Path
) -> None:
    assert await run([], postgres_url, tmp_path) == [429, 429, 429]


async def test_a_forwarded_for_from_an_untrusted_address_is_not_believed(
    postgres_url: str, tmp_path: Path
) -> None:
    spoofed = await run(
        [], postgres_url, tmp_path, GUICHET_FORWARDED_ALLOW_IPS="10.9.9.9,192.168.0.0/16"
    )
    assert spoofed == [429, 429, 429]


async def test_the_trusted_proxy_s_forwarded_for_is_the_client_address(
    postgres_url: str, tmp_path: Path
) -> None:
    spoofed = await run([], postgres_url, tmp_path, GUICHET_FORWARDED_ALLOW_IPS="127.0.0.1")
    assert spoofed == [200, 200, 200]  # each a new employee behind the load balancer


async def test_with_workers_a_spoofed_forwarded_for_does_not_escape_a_429_by_default(
    postgres_url: str, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    spoofed = await run(
        ["--workers", "2"], postgres_url, tmp_path, GUICHET_REDIS_URL=redis_server.url
    )
    assert spoofed == [429, 429, 429]


async def test_with_workers_the_trusted_proxy_s_forwarded_for_is_the_client_address(
    postgres_url: str, redis_server: PrivateRedis, tmp_path: Path
) -> None:
    spoofed = await run(
        ["--workers", "2"],
        postgres_url,
        tmp_path,
        GUICHET_REDIS_URL=redis_server.url,
        GUICHET_FORWARDED_ALLOW_IPS="127.0.0.0/8",
    )
    assert spoofed == [200, 200, 200]


@pytest.mark.parametrize("value", ["localhost", "10.0.0.1,not-an-ip", "10.0.0.0/33"])
def test_a_trusted_proxy_that_is_not_an_address_stops_start_up(value: str) -> None:
    with pytest.raises(SettingsInvalid, match="GUICHET_FORWARDED_ALLOW_IPS"):
        load_settings(forwarded_allow_ips=value)
