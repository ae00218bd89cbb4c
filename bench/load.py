"""Load test: 2 API processes and 2 sync workers (real subprocesses, PostgreSQL, Redis) and up
to 1,000 simulated employees over loopback, chatting and typing in the omnibox.

Run with `.venv/bin/python -m bench.load [--steps 50,100,250,500,1000] [--seconds 20]
[--think 20]`. Each employee types a labelled question in the omnibox (a suggestion request per
keystroke from the second, one every 150 ms), then sends it to the chat (one in ten files a
ticket instead), then thinks for a random time (mean `--think` seconds). Like a browser's
omnibox, an employee has one suggestion request in flight; keystrokes typed while it runs are
not sent. Every request goes to
one of the two API processes at random, as a load balancer without sticky sessions would send
it. The load is raised in steps; each step is measured after a warm-up. At the end, the tickets
created are counted in Guichet's database and in the local ITSM tool the workers sync to.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx
import psycopg
from rich.console import Console
from rich.table import Table

from bench import fake_itsm
from bot.app.cli.index import DEFAULT_EVAL
from bot.auth.store import AuthStore
from bot.storage.database import Database
from knowledge_index.evaluation import LabelledSet
from tests.contracts.fakes.server import free_port

ROOT = Path(__file__).resolve().parent.parent
GUICHET = str(Path(sys.executable).with_name("guichet"))
POSTGRES = os.environ.get("GUICHET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
DATA_DIR = ROOT / "var" / "bench-load"
KEYSTROKE_S = 0.15
WARM_UP_S = 5.0
REQUEST_TIMEOUT_S = 30.0
TICKET_SHARE = 0.1
SUGGEST_P95_MS, CHAT_P95_MS = 50.0, 300.0


@dataclass
class Sample:
    kind: str  # suggest, chat, ticket
    at: float
    ms: float
    ok: bool


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)

    def record(self, kind: str, start: float, status: int | str) -> None:
        ok = isinstance(status, int) and 200 <= status < 300
        self.samples.append(Sample(kind, start, (time.perf_counter() - start) * 1000, ok))
        if not ok:
            self.failures[f"{kind} {status}"] += 1


class RawClient:
    """Keep-alive HTTP/1.1 GETs on raw sockets: the omnibox's many small requests cost the
    shared cores far less than through a full HTTP client."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, target: str, token: str) -> int:
        if self._idle:
            try:
                return await self._send(target, token, *self._idle.pop())
            except (OSError, asyncio.IncompleteReadError):
                pass
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return await self._send(target, token, reader, writer)

    async def _send(
        self, target: str, token: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> int:
        writer.write(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
        self._idle.append((reader, writer))
        return status

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


@dataclass
class Servers:
    ports: list[int]
    raw: list[RawClient]
    http: list[httpx.AsyncClient]

    def pick(self, rng: random.Random) -> int:
        return rng.randrange(len(self.ports))


async def _employee(
    number: int,
    token: str,
    servers: Servers,
    queries: list[tuple[str, str]],
    think: float,
    stop: asyncio.Event,
    run: Run,
) -> None:
    rng = random.Random(number)
    email = f"employee{number}@norvane.example"
    headers = {"authorization": f"Bearer {token}"}
    conversation: str | None = None

    async def keystroke(text: str, language: str) -> None:
        start = time.perf_counter()
        target = "/api/v1/suggest?" + urlencode({"q": text, "lang": language})
        try:
            status: int | str = await asyncio.wait_for(
                servers.raw[servers.pick(rng)].get(target, token), REQUEST_TIMEOUT_S
            )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as error:
            status = type(error).__name__
        run.record("suggest", start, status)

    async def post(kind: str, path: str, body: dict[str, object]) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            answer = await servers.http[servers.pick(rng)].post(path, json=body, headers=headers)
        except httpx.HTTPError as error:
            run.record(kind, start, type(error).__name__)
            return None
        run.record(kind, start, answer.status_code)
        return answer

    await asyncio.sleep(rng.random() * think)
    while not stop.is_set():
        query, language = rng.choice(queries)
        # Like an omnibox: one request in flight; keystrokes typed meanwhile are not sent.
        in_flight: asyncio.Task[None] | None = None
        for end in range(2, len(query) + 1):
            if in_flight is None or in_flight.done():
                in_flight = asyncio.create_task(keystroke(query[:end], language))
            await asyncio.sleep(KEYSTROKE_S)
        if in_flight is not None:
            await in_flight
        if rng.random() < TICKET_SHARE:
            answer = await post(
                "ticket",
                "/api/v1/tickets",
                {"requester": email, "title": query[:200], "description": query},
            )
            if answer is not None and answer.status_code == 201:
                run.tickets.append(answer.json()["reference"])
        else:
            if conversation is None:
                answer = await post("start", "/api/v1/conversations", {"user": email})
                if answer is not None and answer.status_code == 201:
                    conversation = answer.json()["id"]
            if conversation is not None:
                await post(
                    "chat", f"/api/v1/conversations/{conversation}/messages", {"text": query}
                )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.expovariate(1 / think))


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- set-up -------------------------------------------------------------------------------------


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


async def _upstream(port: int) -> Counter[str]:
    async with httpx.AsyncClient(auth=(fake_itsm.USER, fake_itsm.PASSWORD)) as client:
        answer = await client.get(
            f"http://127.0.0.1:{port}/api/now/table/incident",
            params={"sysparm_fields": "correlation_id"},
        )
    return Counter(row["correlation_id"] for row in answer.json()["result"])


async def _tickets_in_database(database_url: str) -> int:
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            return int(await connection.scalar(_count_sql()) or 0)
    finally:
        await database.close()


def _count_sql() -> object:
    from sqlalchemy import text

    return text("SELECT count(*) FROM tickets")


# -- the run ------------------------------------------------------------------------------------


async def bench(steps: list[int], seconds: float, think: float, console: Console) -> None:
    work = DATA_DIR / "logs"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    name = f"guichet_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = POSTGRES.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    database_url += f"/{name}"
    redis_port, itsm_port = free_port(), free_port()
    api_ports = [free_port(), free_port()]
    env = {
        **os.environ,
        "GUICHET_DATA_DIR": str(DATA_DIR),
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "GUICHET_LOG_LEVEL": "WARNING",
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
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(
            _start(
                ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""],
                env,
                work / "redis.log",
            )
        )
        processes.append(
            _start(
                [sys.executable, "-m", "bench.fake_itsm", str(itsm_port)], env, work / "itsm.log"
            )
        )
        console.print("Preparing the index and the intent model (cached in var/bench-load)...")
        for command in (["index", "update"], ["train"]):
            await asyncio.to_thread(
                subprocess.run, [GUICHET, *command], env=env, check=True, stdout=subprocess.DEVNULL
            )
        tokens = await _tokens(database_url, max(steps))
        for index, port in enumerate(api_ports):
            log = work / f"api{index}.log"
            processes.append(_start([GUICHET, "serve", "--port", str(port)], env, log))
            await _wait_ready(port, processes[-1], log)
        for index in range(2):
            processes.append(_start([GUICHET, "sync"], env, work / f"sync{index}.log"))
        console.print(
            f"2 API processes on {api_ports}, 2 sync workers, PostgreSQL {name}, Redis on "
            f"{redis_port}, local ServiceNow on {itsm_port}; load average "
            f"{os.getloadavg()[0]:.1f} before the run."
        )
        await _measure(steps, seconds, think, tokens, api_ports, itsm_port, database_url, console)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        console.print(f"Process logs in {work}")


async def _measure(
    steps: list[int],
    seconds: float,
    think: float,
    tokens: list[str],
    api_ports: list[int],
    itsm_port: int,
    database_url: str,
    console: Console,
) -> None:
    labelled = LabelledSet.load(DEFAULT_EVAL)
    queries = [(q.q, q.lang) for q in labelled.queries]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    http = [
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=REQUEST_TIMEOUT_S
        )
        for port in api_ports
    ]
    servers = Servers(api_ports, [RawClient(port) for port in api_ports], http)
    await _warm_up(servers, tokens[0])
    run, stop = Run(), asyncio.Event()
    employees: list[asyncio.Task[None]] = []
    windows: list[tuple[int, float, float, float]] = []  # employees, from, to, load average
    for count in steps:
        employees += [
            asyncio.create_task(_employee(n, tokens[n], servers, queries, think, stop, run))
            for n in range(len(employees), count)
        ]
        start = time.perf_counter() + WARM_UP_S
        await asyncio.sleep(WARM_UP_S + seconds)
        windows.append((count, start, start + seconds, os.getloadavg()[0]))
    stop.set()
    await asyncio.gather(*employees)
    for client in http:
        await client.aclose()
    for raw in servers.raw:
        raw.close()
    _report(run, windows, seconds, console)
    await _check_tickets(run, itsm_port, database_url, console)


async def _warm_up(servers: Servers, token: str) -> None:
    """A few messages and keystrokes on each process first: its first ones load lazy parts."""
    headers = {"authorization": f"Bearer {token}"}
    for client, raw in zip(servers.http, servers.raw, strict=True):
        started = await client.post(
            "/api/v1/conversations", json={"user": "employee0@norvane.example"}, headers=headers
        )
        path = f"/api/v1/conversations/{started.json()['id']}/messages"
        for text in ("hello", "my vpn keeps dropping", "no", "cancel", "thanks"):
            await client.post(path, json={"text": text}, headers=headers)
        for end in range(2, 20):
            await raw.get("/api/v1/suggest?" + urlencode({"q": "imprimante bloquée"[:end]}), token)


def _report(
    run: Run, windows: list[tuple[int, float, float, float]], seconds: float, console: Console
) -> None:
    table = Table(
        "employees", "messages/s", "chat p50 / p95 / p99 ms", "suggestions/s",
        "suggest p50 / p95 / p99 ms", "tickets", "errors", "load avg",
        title="bench.load: 2 API processes, 2 sync workers, PostgreSQL, Redis",
    )  # fmt: skip
    best = None
    for count, start, end, load in windows:
        window = [s for s in run.samples if start <= s.at < end]
        chat = [s.ms for s in window if s.kind == "chat" and s.ok]
        suggest = [s.ms for s in window if s.kind == "suggest" and s.ok]
        tickets = sum(1 for s in window if s.kind == "ticket" and s.ok)
        errors = sum(1 for s in window if not s.ok)

        def spread(values: list[float]) -> str:
            return " / ".join(f"{_percentile(values, q):.0f}" for q in (0.5, 0.95, 0.99))

        table.add_row(
            str(count), f"{len(chat) / seconds:.1f}", spread(chat),
            f"{len(suggest) / seconds:.0f}", spread(suggest), str(tickets), str(errors),
            f"{load:.1f}",
        )  # fmt: skip
        if (
            errors == 0
            and _percentile(suggest, 0.95) <= SUGGEST_P95_MS
            and _percentile(chat, 0.95) <= CHAT_P95_MS
        ):
            best = count
    console.print(table)
    if run.failures:
        console.print(f"Failures: {dict(run.failures.most_common(8))}")
    console.print(
        f"Highest load meeting the targets (no error, suggestions p95 <= {SUGGEST_P95_MS:.0f} ms,"
        f" chat p95 <= {CHAT_P95_MS:.0f} ms): "
        + (f"[bold]{best} employees[/bold]" if best else "[red]none of the steps[/red]")
    )
    all_chat = [s.ms for s in run.samples if s.kind == "chat" and s.ok]
    if all_chat:
        console.print(
            f"Chat overall: {len(all_chat)} answered, mean {statistics.mean(all_chat):.0f} ms"
        )


async def _check_tickets(run: Run, itsm_port: int, database_url: str, console: Console) -> None:
    created = len(run.tickets)
    deadline = time.monotonic() + 120
    upstream = await _upstream(itsm_port)
    while set(run.tickets) - set(upstream) and time.monotonic() < deadline:
        await asyncio.sleep(1)
        upstream = await _upstream(itsm_port)
    stored = await _tickets_in_database(database_url)
    lost = len(set(run.tickets) - set(upstream))
    duplicated = sum(count - 1 for count in upstream.values() if count > 1)
    console.print(
        f"Tickets end to end: {created} created (201), {stored} in Guichet's database, "
        f"{len(upstream)} distinct in the ITSM tool, {lost} lost, {duplicated} duplicated."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", default="50,100,250,500,1000")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=20.0)
    args = parser.parse_args()
    steps = sorted(int(s) for s in args.steps.split(","))
    asyncio.run(bench(steps, args.seconds, args.think, Console()))


if __name__ == "__main__":
    main()
