"""Suggestions under load: typists replay prefixes of real queries over HTTP on loopback.

Run with `.venv/bin/python -m bench.suggest [--sizes 100,10000,100000] [--typists 50]
[--seconds 20]`. For each size the knowledge base is grown synthetically (bench.synthetic_kb),
indexed with `guichet index build` (timed, its peak memory read), served by `guichet serve`
on 127.0.0.1, then each typist types labelled queries one keystroke every 150 ms, each
keystroke a GET /api/v1/suggest sent without waiting for the previous answer (open loop, as a
browser does). Prints latency percentiles, throughput and the server's memory.

The first `WARM_UP_S` seconds are printed apart ("start-up p95"): all typists start within
150 ms of the server being ready, its caches empty, and at 10,000 entries the server runs
near one full core, so that first burst takes seconds to drain (with a 3-second warm-up,
the steady p95 read 23 to 86 ms from one run to the next on 2026-12-05; after 10 seconds, 11
to 25). The server's CPU is divided by every request it answered, start-up included.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import httpx
from rich.console import Console
from rich.table import Table

from bench.synthetic_kb import grow
from bot.app.cli.index import DEFAULT_EVAL
from knowledge_index.evaluation import LabelledSet
from knowledge_index.index import KnowledgeIndex

KEYSTROKE_S = 0.15
WARM_UP_S = 10.0
GUICHET = [sys.executable, "-m", "bot.app.cli"]


@dataclass
class Run:
    entries: int
    build_s: float
    build_peak_mib: float
    start_s: float
    latencies_ms: list[float]  # after the start-up
    start_up_ms: list[float]  # the first WARM_UP_S seconds
    errors: int
    seconds: float
    server_cpu_s: float
    rss_mib: float
    peak_mib: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory(pid: int) -> tuple[float, float]:
    """(resident, peak resident) MiB of a process."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _environment(data: Path, kb: Path, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "GUICHET_DATA_DIR": str(data),
        "GUICHET_KNOWLEDGE__KB_DIR": str(kb),
        "GUICHET_PORT": str(port),
        "GUICHET_LOG_LEVEL": "WARNING",
        # The index was just built by `guichet index build`; a large deployment serves it as
        # built rather than read every article again at start-up to compare.
        "GUICHET_KNOWLEDGE__BUILD_ON_START": "false",
        # Every typist comes from 127.0.0.1: the per-address limit (1,200 a minute) would
        # answer most keystrokes 429 (4,888 of 5,246 on 2026-12-04) and measure nothing.
        "GUICHET_LIMITS__SUGGESTIONS_PER_IP": "",
    }


def _build(environment: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [*GUICHET, "index", "build"], env=environment, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"index build failed ({process.returncode})")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


async def _wait_ready(base: str, process: subprocess.Popen[bytes], limit: float = 900) -> float:
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base) as client:
        while time.perf_counter() - start < limit:
            if process.poll() is not None:
                raise SystemExit("the server stopped while starting")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not become ready")


class Connections:
    """Keep-alive HTTP/1.1 connections to the server on raw sockets: a load generator that
    costs the two shared cores far less than a full HTTP client would."""

    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def get(self, target: str) -> int:
        if self._idle:
            try:
                return await self._send(target, *self._idle.pop())
            except (OSError, asyncio.IncompleteReadError):
                pass  # the server closed an idle connection: open another
        return await self._send(target, *await asyncio.open_connection(self._host, self._port))

    async def _send(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> int:
        writer.write(f"GET {target} HTTP/1.1\r\nHost: {self._host}\r\n\r\n".encode())
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


async def _typist(
    connections: Connections,
    queries: list[tuple[str, str]],
    until: float,
    measured_from: float,
    latencies: list[float],
    start_up: list[float],
    errors: list[int],
    rng: random.Random,
) -> None:
    pending: set[asyncio.Task[None]] = set()

    async def keystroke(text: str, language: str) -> None:
        start = time.perf_counter()
        target = "/api/v1/suggest?" + urlencode({"q": text, "lang": language})
        try:
            ok = await connections.get(target) == 200
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        took = (time.perf_counter() - start) * 1000
        (latencies if start >= measured_from else start_up).append(took)
        errors[0] += not ok

    next_at = time.perf_counter() + rng.random() * KEYSTROKE_S
    while time.perf_counter() < until:
        query, language = rng.choice(queries)
        for end in range(2, len(query) + 1):
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            next_at += KEYSTROKE_S
            if time.perf_counter() >= until:
                break
            task = asyncio.create_task(keystroke(query[:end], language))
            pending.add(task)
            task.add_done_callback(pending.discard)
        next_at += 1.0  # reads the suggestions before the next question
    await asyncio.gather(*pending)


async def _load(
    port: int, typists: int, seconds: float
) -> tuple[list[float], list[float], int, float]:
    labelled = LabelledSet.load(DEFAULT_EVAL)
    queries = [(q.q, q.lang) for q in labelled.queries]
    latencies: list[float] = []
    start_up: list[float] = []
    errors = [0]
    pools = [Connections("127.0.0.1", port) for _ in range(typists)]
    start = time.perf_counter()
    measured_from, until = start + WARM_UP_S, start + WARM_UP_S + seconds
    await asyncio.gather(
        *(
            _typist(
                pool, queries, until, measured_from, latencies, start_up, errors, random.Random(i)
            )
            for i, pool in enumerate(pools)
        )
    )
    for pool in pools:
        pool.close()
    return latencies, start_up, errors[0], seconds


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(size: int, typists: int, seconds: float, workdir: Path, reuse: bool) -> Run:
    kb, data, port = workdir / f"kb-{size}", workdir / f"var-{size}", _free_port()
    environment = _environment(data, kb, port)
    if reuse and (data / "index" / "manifest.json").exists():
        entries = KnowledgeIndex.read_manifest(data / "index").entries  # type: ignore[union-attr]
        build_s = build_peak = float("nan")
    else:
        entries = grow(kb, size)
        build_s, build_peak = _build(environment)
    subprocess.run([*GUICHET, "train"], env=environment, stdout=subprocess.DEVNULL, check=True)
    server = subprocess.Popen([*GUICHET, "serve"], env=environment, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        start_s = asyncio.run(_wait_ready(base, server))
        cpu = _cpu_seconds(server.pid)
        latencies, start_up, errors, duration = asyncio.run(_load(port, typists, seconds))
        cpu = _cpu_seconds(server.pid) - cpu
        rss, peak = _memory(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return Run(
        entries, build_s, build_peak, start_s, latencies, start_up, errors, duration, cpu, rss, peak
    )


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--typists", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--workdir", type=Path, help="keep the knowledge bases and indexes here and reuse them"
    )
    arguments = parser.parse_args()
    table = Table(
        "entries", "build s", "build peak MiB", "start s", "start-up p95 ms", "requests",
        "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms", "server CPU ms/req",
        "server RSS MiB",
        "server peak MiB",
        title=f"{arguments.typists} typists, one keystroke every {KEYSTROKE_S * 1000:.0f} ms, "
        "GET /api/v1/suggest on 127.0.0.1",
    )  # fmt: skip
    console = Console(width=200)
    with tempfile.TemporaryDirectory(prefix="guichet-bench-") as directory:
        workdir = arguments.workdir or Path(directory)
        for size in (int(s) for s in arguments.sizes.split(",")):
            run = measure(
                size, arguments.typists, arguments.seconds, workdir, arguments.workdir is not None
            )
            ordered = sorted(run.latencies_ms)
            table.add_row(
                f"{run.entries:,}",
                f"{run.build_s:.1f}",
                f"{run.build_peak_mib:.0f}",
                f"{run.start_s:.1f}",
                f"{_percentile(sorted(run.start_up_ms), 0.95):.1f}",
                str(len(ordered)),
                str(run.errors),
                f"{len(ordered) / run.seconds:.0f}",
                f"{statistics.median(ordered):.1f}",
                f"{_percentile(ordered, 0.95):.1f}",
                f"{_percentile(ordered, 0.99):.1f}",
                f"{ordered[-1]:.1f}",
                f"{1000 * run.server_cpu_s / max(1, len(ordered) + len(run.start_up_ms)):.2f}",
                f"{run.rss_mib:.0f}",
                f"{run.peak_mib:.0f}",
            )
            console.print(table)


if __name__ == "__main__":
    main()
