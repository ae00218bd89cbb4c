"""What the load test and the cost bench run against: API processes and sync workers (real
subprocesses), a fresh PostgreSQL database, a Redis of their own and the local ServiceNow the
workers sync to; and the CPU each process used, read from the kernel's own accounting.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis.asyncio as aioredis
from rich.console import Console

from bench import fake_itsm
from bot.auth.store import AuthStore
from bot.storage.database import Database
from tests.contracts.fakes.server import free_port

ROOT = Path(__file__).resolve().parent.parent
GUICHET = str(Path(sys.executable).with_name("guichet"))
POSTGRES = os.environ.get("GUICHET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DATA_DIR = ROOT / "var" / "bench-load"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process and the children it waited for used (its threads
    included), from /proc/PID/stat: the kernel's accounting, not wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the name: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (man 5 proc)
    return sum(int(value) for value in fields[11:15]) / CLOCK_TICKS


def own_cpu_seconds() -> float:
    """This process's CPU seconds (the load generator's own)."""
    times = os.times()
    return times.user + times.system


@dataclass
class Stack:
    env: dict[str, str]
    database_url: str
    redis_port: int
    itsm_port: int
    api_ports: list[int]
    tokens: list[str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def guichet_pids(self) -> dict[str, int]:
        """The API processes and the sync workers, by name (api0, api1, sync0, ...)."""
        return {
            name: process.pid
            for name, process in self.processes.items()
            if name.startswith(("api", "sync"))
        }

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each Guichet process, Redis, and the generator (`load`)."""
        pids = {**self.guichet_pids(), "redis": self.processes["redis"].pid}
        return {**{name: cpu_seconds(pid) for name, pid in pids.items()}, "load": own_cpu_seconds()}

    async def redis_commands(self) -> Counter[str]:
        """Commands Redis has run so far, by name (INFO commandstats; INFO itself left out)."""
        client = aioredis.Redis(port=self.redis_port)
        try:
            stats = await client.info("commandstats")
        finally:
            await client.aclose()
        return Counter(
            {
                name.removeprefix("cmdstat_"): int(value["calls"])
                for name, value in stats.items()
                if name != "cmdstat_info"
            }
        )


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


async def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 600
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"a server stopped while starting; see {log}")
            try:
                answer = await client.get(f"http://127.0.0.1:{port}/readyz")
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)
    raise SystemExit(f"server on {port} not ready")


async def _tokens(database_url: str, count: int) -> list[str]:
    database = Database(database_url)
    await database.migrate()
    auth = AuthStore(database)
    tokens = []
    for number in range(count):
        _, secret = await auth.create_token(
            f"employee{number}@norvane.example", role="employee", label="bench.load"
        )
        tokens.append(secret)
    await database.close()
    return tokens


def _environment(
    database_url: str, redis_port: int, itsm_port: int, log_level: str
) -> dict[str, str]:
    return {
        **os.environ,
        "GUICHET_DATA_DIR": str(DATA_DIR),
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "GUICHET_LOG_LEVEL": log_level,
        "GUICHET_TICKETS__SYNC_BACKENDS": '["servicenow"]',
        "GUICHET_TICKETS__RUN_SYNC_WORKER": "false",
        "GUICHET_TICKETS__SYNC_INTERVAL_SECONDS": "1",
        "GUICHET_ITSM__POLL_INTERVAL_SECONDS": "60",
        "GUICHET_ITSM__SERVICENOW__BASE_URL": f"http://127.0.0.1:{itsm_port}",
        "GUICHET_ITSM__SERVICENOW__USERNAME": fake_itsm.USER,
        "GUICHET_ITSM__SERVICENOW__PASSWORD": fake_itsm.PASSWORD,
        # Every simulated employee comes from 127.0.0.1: limits per address would count them
        # as one. Limits per user stay as configured.
        "GUICHET_LIMITS__MESSAGES_PER_IP": "",
        "GUICHET_LIMITS__SUGGESTIONS_PER_IP": "",
        "GUICHET_LIMITS__WRITES_PER_IP": "",
    }


@asynccontextmanager
async def running_stack(
    *,
    api: int,
    workers: int,
    employees: int,
    console: Console,
    api_command: list[str] | None = None,
    log_level: str = "WARNING",
) -> AsyncIterator[Stack]:
    """Start everything, yield it, and stop it all (the database dropped) on the way out.
    `api_command` replaces `guichet serve` (its port is appended as `--port N`); `log_level`
    is GUICHET_LOG_LEVEL (INFO: an access line per request, as in production)."""
    work = DATA_DIR / "logs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    name = f"guichet_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    database_url += f"/{name}"
    redis_port, itsm_port = free_port(), free_port()
    env = _environment(database_url, redis_port, itsm_port, log_level)
    stack = Stack(env, database_url, redis_port, itsm_port, [free_port() for _ in range(api)], [])
    processes = stack.processes
    try:
        processes["redis"] = _start(
            ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
            env,
            work / "redis.log",
        )
        processes["itsm"] = _start(
            [sys.executable, "-m", "bench.fake_itsm", str(itsm_port)], env, work / "itsm.log"
        )
        console.print("Preparing the index and the intent model (cached in var/bench-load)...")
        for command in (["index", "update"], ["train"]):
            await asyncio.to_thread(
                subprocess.run, [GUICHET, *command], env=env, check=True, stdout=subprocess.DEVNULL
            )
        stack.tokens = await _tokens(database_url, employees)
        for index, port in enumerate(stack.api_ports):
            log = work / f"api{index}.log"
            command = [*(api_command or [GUICHET, "serve"]), "--port", str(port)]
            processes[f"api{index}"] = _start(command, env, log)
            await _wait_ready(port, processes[f"api{index}"], log)
        for index in range(workers):
            processes[f"sync{index}"] = _start([GUICHET, "sync"], env, work / f"sync{index}.log")
        console.print(
            f"{api} API process(es) on {stack.api_ports}, {workers} sync worker(s), PostgreSQL "
            f"{name}, Redis on {redis_port}, local ServiceNow on {itsm_port}; load average "
            f"{os.getloadavg()[0]:.1f} before the run."
        )
        yield stack
    finally:
        for process in reversed(processes.values()):
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        console.print(f"Process logs in {work}")
