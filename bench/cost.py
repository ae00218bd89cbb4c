"""What one request costs: CPU per suggestion and per message in the API process, from the
process's own accounting, with the SQL statements and Redis commands each one sends.

Run with `.venv/bin/python -m bench.cost [--requests 400] [--concurrency 4] [--profile]
[--log-level INFO]` (INFO: an access line per request in the process log, as in production).
One API process (`bench.cost_server`: `guichet serve`'s app, counting its SQL statements),
PostgreSQL and Redis, as the load test sets them up. After a warm-up, a few clients type
labelled queries drawn at random as the load test's employees do (N suggestions: the first
keystrokes come back, as in an office, and the caches answer them), then N keystrokes never
typed before (the cost without the caches), then send the queries to the chat (N messages,
over N/15 conversations); the CPU the API process used during each phase, divided
by its requests, is the cost of one. With `--profile`, py-spy samples the API process during
each phase (from outside: the costs stay those of the process alone, py-spy's own CPU is not
counted) and the functions where its CPU went are printed, with the share of the samples in
which each one was on the stack.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

from bench.stack import DATA_DIR, Stack, cpu_seconds, own_cpu_seconds, running_stack
from bot.app.cli.index import DEFAULT_EVAL
from knowledge_index.evaluation import LabelledSet

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
MESSAGES_PER_CONVERSATION = 15
Work = list[
    tuple[str, dict[str, object] | None, str]
]  # path, JSON body (None: GET), token  # the per-user limit is 30 messages a minute


@dataclass
class Phase:
    kind: str
    requests: int
    errors: int
    api_cpu_s: float
    client_cpu_s: float
    wall_s: float
    sql: int
    redis: Counter[str]

    def per_request(self, total: float) -> float:
        return total / max(1, self.requests)


async def _counters(client: httpx.AsyncClient) -> int:
    answer = await client.get("/bench/counters")
    return int(answer.json()["sql"])


async def _phase(
    kind: str,
    stack: Stack,
    client: httpx.AsyncClient,
    work: Work,
    concurrency: int,
    profile: Path | None = None,
) -> Phase:
    """Send `work` (path, JSON body or None for a GET, token) with `concurrency` clients;
    with `profile`, sample the API process meanwhile into that file (py-spy's raw format)."""
    pid = stack.processes["api0"].pid
    queue = iter(work)
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for path, body, token in queue:
            headers = {"authorization": f"Bearer {token}"}
            if body is None:
                answer = await client.get(path, headers=headers)
            else:
                answer = await client.post(path, json=body, headers=headers)
            errors += not answer.is_success

    spy = None
    if profile is not None:
        spy = await asyncio.create_subprocess_exec(
            PY_SPY, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
            "--nonblocking", "--output", str(profile),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(1.0)  # py-spy attaches
    sql, commands = await _counters(client), await stack.redis_commands()
    api, own, started = cpu_seconds(pid), own_cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    api, own = cpu_seconds(pid) - api, own_cpu_seconds() - own
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        await spy.wait()
    # the counters' own request and INFO call are left out of the figures
    sql = await _counters(client) - sql
    commands = await stack.redis_commands() - commands
    return Phase(kind, len(work), errors, api, own, wall, sql, commands)


async def _conversations(client: httpx.AsyncClient, tokens: list[str], count: int) -> list[str]:
    ids = []
    for number in range(count):
        token = tokens[number % len(tokens)]
        answer = await client.post(
            "/api/v1/conversations",
            json={"user": f"employee{number % len(tokens)}@norvane.example"},
            headers={"authorization": f"Bearer {token}"},
        )
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    return ids


async def run(
    requests: int, concurrency: int, profile: bool, log_level: str, console: Console
) -> list[Phase]:
    labelled = LabelledSet.load(DEFAULT_EVAL)
    queries = [(q.q, q.lang) for q in labelled.queries]
    conversations = max(1, -(-requests // MESSAGES_PER_CONVERSATION))
    # each conversation its own employee: the per-user limits stay out of the way
    employees = conversations
    command = [sys.executable, "-m", "bench.cost_server"]
    async with running_stack(
        api=1,
        workers=0,
        employees=employees,
        console=console,
        api_command=command,
        log_level=log_level,
    ) as stack:
        base = f"http://127.0.0.1:{stack.api_ports[0]}"
        limits = httpx.Limits(max_connections=concurrency + 2)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
            keystrokes = [
                ("/api/v1/suggest?" + urlencode({"q": text[:end], "lang": lang}), None)
                for text, lang in queries
                for end in range(2, len(text) + 1)
            ]
            ids = await _conversations(client, stack.tokens, conversations)
            # warm-up: the first requests load lazy parts
            warm_up: Work = [(path, None, stack.tokens[0]) for path, _ in keystrokes[:60]]
            await _phase("warm-up", stack, client, warm_up, concurrency)
            # as the load test types: employees pick labelled queries at random, so what
            # everyone types first comes back (the caches answer it); and every keystroke new
            rng = random.Random(18)
            typed = [
                f"/api/v1/suggest?{urlencode({'q': text[:end], 'lang': lang})}"
                for text, lang in (rng.choice(queries) for _ in range(requests))
                for end in range(2, len(text) + 1)
            ][:requests]
            fresh = [
                path for path, _ in itertools.islice(itertools.cycle(keystrokes[60:]), requests)
            ]
            suggestions: dict[str, Work] = {
                kind: [(path, None, stack.tokens[n % employees]) for n, path in enumerate(paths)]
                for kind, paths in (("suggestion", typed), ("suggestion, new text", fresh))
            }
            messages: Work = [
                (
                    f"/api/v1/conversations/{ids[number % conversations]}/messages",
                    {"text": text},
                    stack.tokens[number % conversations],
                )
                for number, (text, _) in enumerate(
                    itertools.islice(itertools.cycle(queries), requests)
                )
            ]
            phases = []
            work: list[tuple[str, Work]] = [*suggestions.items(), ("message", messages)]
            for number, (kind, requests_of_kind) in enumerate(work):
                samples = DATA_DIR / f"cost-{number}.txt" if profile else None
                phases.append(
                    await _phase(kind, stack, client, requests_of_kind, concurrency, samples)
                )
                if samples is not None:
                    _print_profile(kind, samples, console)
    return phases


def _function(frame: str) -> str:
    """`name (path/file.py:line)` as `name file.py`: the lines of a function summed."""
    name, _, where = frame.partition(" (")
    return f"{name} {where.rsplit('/', 1)[-1].rsplit(':', 1)[0]}"


def _print_profile(kind: str, path: Path, console: Console, top: int = 40) -> None:
    """The functions most often on the stack (inclusive) and at its top (self), in shares of
    all samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = [_function(frame) for frame in stack.split(";")[1:]]
        samples = int(count)
        total += samples
        for frame in set(frames):
            inclusive[frame] += samples
        if frames:
            own[frames[-1]] += samples
    console.print(f"[bold]{kind}[/bold]: {total} samples of the API process ({path})")
    for title, counter in (("on the stack", inclusive), ("self", own)):
        console.print(f"  {title}:")
        for frame, samples in counter.most_common(top):
            console.print(f"    {100 * samples / max(1, total):5.1f}%  {frame}", soft_wrap=True)


def report(phases: list[Phase], requests: int, concurrency: int, console: Console) -> None:
    table = Table(
        "request", "count", "errors", "API CPU ms each", "client CPU ms each", "SQL each",
        "Redis commands each", "per second",
        title=f"bench.cost: {requests} of each, {concurrency} clients, 1 API process, "
        "PostgreSQL, Redis",
    )  # fmt: skip
    for phase in phases:
        table.add_row(
            phase.kind, str(phase.requests), str(phase.errors),
            f"{phase.per_request(phase.api_cpu_s) * 1000:.2f}",
            f"{phase.per_request(phase.client_cpu_s) * 1000:.2f}",
            f"{phase.per_request(phase.sql):.2f}",
            f"{phase.per_request(phase.redis.total()):.2f}",
            f"{phase.requests / phase.wall_s:.0f}",
        )  # fmt: skip
    console.print(table)
    for phase in phases:
        commands = ", ".join(
            f"{name} {phase.per_request(count):.2f}" for name, count in phase.redis.most_common()
        )
        console.print(f"Redis commands per {phase.kind}: {commands or 'none'}")
    console.print(f"Load average after the run: {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["WARNING", "INFO"],
        help="the API process's GUICHET_LOG_LEVEL; INFO writes an access line per request",
    )
    args = parser.parse_args()
    console = Console()
    phases = asyncio.run(
        run(args.requests, args.concurrency, args.profile, args.log_level, console)
    )
    report(phases, args.requests, args.concurrency, console)


if __name__ == "__main__":
    main()
