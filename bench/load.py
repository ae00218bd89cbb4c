"""Load test: 2 API processes and 2 sync workers (real subprocesses, PostgreSQL, Redis) and up
to 1,000 simulated employees over loopback, chatting and typing in the omnibox.

Run with `.venv/bin/python -m bench.load [--steps 50,100,250,500,1000] [--seconds 20]
[--think 20]`. Each employee types a labelled question in the omnibox (a suggestion request per
keystroke from the second, one every 150 ms), then sends it to the chat (one in ten files a
ticket instead), then thinks for a random time (mean `--think` seconds). Like a browser's
omnibox, an employee has one suggestion request in flight; keystrokes typed while it runs are
not sent. Suggestions go
to the first API process and conversations (messages, tickets) to the second, as a balancer
routing by path would (`--routing random`: any request to either, as one without sticky
sessions would). The load is raised in steps; each step is measured after a warm-up, and for
each the CPU every process used (its own accounting, /proc/PID/stat) is divided by the
requests it served: CPU per suggestion and per message, the generator's own, and the employees
one core serves at the mix the step measured. At the end, the tickets created are counted in
Guichet's database and in the local ITSM tool the workers sync to.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

from bench import fake_itsm
from bench.stack import Stack, running_stack
from bot.app.cli.index import DEFAULT_EVAL
from bot.storage.database import Database
from knowledge_index.evaluation import LabelledSet

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
    routing: str  # "by-kind": suggestions to the first process, the rest to the second

    def pick(self, rng: random.Random, kind: str) -> int:
        if self.routing == "by-kind":
            return 0 if kind == "suggest" else 1
        return rng.randrange(len(self.ports))


@dataclass
class Window:
    employees: int
    start: float
    end: float
    load: float
    cpu: dict[str, float]  # CPU seconds each process used in the window


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
                servers.raw[servers.pick(rng, "suggest")].get(target, token), REQUEST_TIMEOUT_S
            )
        except (OSError, asyncio.IncompleteReadError, ValueError, TimeoutError) as error:
            status = type(error).__name__
        run.record("suggest", start, status)

    async def post(kind: str, path: str, body: dict[str, object]) -> httpx.Response | None:
        start = time.perf_counter()
        try:
            answer = await servers.http[servers.pick(rng, kind)].post(
                path, json=body, headers=headers
            )
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


# -- set-up ---------------------------------------------------------------------------------


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


async def bench(
    steps: list[int], seconds: float, think: float, routing: str, console: Console
) -> None:
    async with running_stack(api=2, workers=2, employees=max(steps), console=console) as stack:
        await _measure(steps, seconds, think, routing, stack, console)


async def _measure(
    steps: list[int], seconds: float, think: float, routing: str, stack: Stack, console: Console
) -> None:
    labelled = LabelledSet.load(DEFAULT_EVAL)
    queries = [(q.q, q.lang) for q in labelled.queries]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    http = [
        httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=REQUEST_TIMEOUT_S
        )
        for port in stack.api_ports
    ]
    servers = Servers(stack.api_ports, [RawClient(port) for port in stack.api_ports], http, routing)
    await _warm_up(servers, stack.tokens[0])
    run, stop = Run(), asyncio.Event()
    employees: list[asyncio.Task[None]] = []
    windows: list[Window] = []
    tokens = stack.tokens
    for count in steps:
        employees += [
            asyncio.create_task(_employee(n, tokens[n], servers, queries, think, stop, run))
            for n in range(len(employees), count)
        ]
        await asyncio.sleep(WARM_UP_S)
        start, before = time.perf_counter(), stack.cpu()
        await asyncio.sleep(seconds)
        after = stack.cpu()
        used = {name: after[name] - before[name] for name in after}
        windows.append(Window(count, start, start + seconds, os.getloadavg()[0], used))
    stop.set()
    await asyncio.gather(*employees)
    for client in http:
        await client.aclose()
    for raw in servers.raw:
        raw.close()
    _report(run, windows, seconds, console)
    _report_cpu(run, windows, seconds, routing, console)
    await _check_tickets(run, stack.itsm_port, stack.database_url, console)


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


def _report(run: Run, windows: list[Window], seconds: float, console: Console) -> None:
    table = Table(
        "employees", "messages/s", "chat p50 / p95 / p99 ms", "suggestions/s",
        "suggest p50 / p95 / p99 ms", "tickets", "errors", "load avg",
        title="bench.load: 2 API processes, 2 sync workers, PostgreSQL, Redis",
    )  # fmt: skip
    best = None
    for w in windows:
        count, load = w.employees, w.load
        window = [s for s in run.samples if w.start <= s.at < w.end]
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


def _report_cpu(
    run: Run, windows: list[Window], seconds: float, routing: str, console: Console
) -> None:
    """CPU per request from each process's own accounting, and employees per core."""
    table = Table(
        "employees", "suggestions / messages per employee-minute", "API ms per suggestion",
        "API ms per message", "workers ms per message", "Redis ms per request",
        "generator CPU %", "Guichet CPU s per employee-minute", "employees per core",
        title=f"bench.load: CPU from /proc/PID/stat ({routing} routing)",
    )  # fmt: skip
    for w in windows:
        done = Counter(s.kind for s in run.samples if w.start <= s.at < w.end and s.ok)
        suggestions, messages = done["suggest"], done["chat"]
        conversation_requests = messages + done["ticket"] + done["start"]
        minutes = w.employees * seconds / 60
        api = sum(v for k, v in w.cpu.items() if k.startswith("api"))
        workers = sum(v for k, v in w.cpu.items() if k.startswith("sync"))
        if routing == "by-kind":
            per_suggestion = f"{1000 * w.cpu['api0'] / max(1, suggestions):.2f}"
            per_message = f"{1000 * w.cpu['api1'] / max(1, conversation_requests):.2f}"
        else:  # both kinds on both processes: not separable
            per_suggestion = per_message = "-"
        guichet = (api + workers) / minutes
        table.add_row(
            str(w.employees),
            f"{suggestions / minutes:.1f} / {messages / minutes:.2f}",
            per_suggestion, per_message,
            f"{1000 * workers / max(1, conversation_requests):.2f}",
            f"{1000 * w.cpu['redis'] / max(1, suggestions + conversation_requests):.3f}",
            f"{100 * w.cpu['load'] / seconds:.0f}",
            f"{guichet:.3f}",
            f"{60 / guichet:.0f}" if guichet else "-",
        )  # fmt: skip
    console.print(table)
    console.print(
        "API ms per message: the conversations process's CPU over its requests (messages, "
        "ticket creations, conversation starts). Employees per core: 60 s over the CPU seconds "
        "the API processes and the workers used per employee-minute at that mix "
        "(PostgreSQL, shared with other work on this machine, not counted)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--steps", default="50,100,250,500,1000")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--think", type=float, default=20.0)
    parser.add_argument(
        "--routing",
        choices=["by-kind", "random"],
        default="by-kind",
        help="by-kind: suggestions to one API process and conversations to the other (a "
        "balancer routing by path), so each kind's CPU is its process's; random: any request "
        "to either",
    )
    args = parser.parse_args()
    steps = sorted(int(s) for s in args.steps.split(","))
    asyncio.run(bench(steps, args.seconds, args.think, args.routing, Console()))


if __name__ == "__main__":
    main()
