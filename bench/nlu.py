"""NLU benchmark: both intent engines, on one core. Prints a table.

Run with `make bench-nlu` (or `.venv/bin/python -m bench.nlu [--train-rasa]`).
- embedded: training time (embedding every example, calibration, CRF), memory of the loaded
  sentence encoder and intent model (resident-set growth), parse latency (intent + entities).
- rasa: training time (as recorded when the cached model was trained; `--train-rasa` trains it
  again), the server's resident memory once the model is loaded, time to `/status`, and parse
  latency through its HTTP API (`POST /model/parse`, as Guichet's `rasa` engine calls it).
Every parse runs pinned to one core: this process on CPU 0, the Rasa server on CPU 1.
"""

from __future__ import annotations

import os

os.sched_setaffinity(0, {0})  # before numpy starts its threads: they inherit one core

import asyncio  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from bot.app.cli.nlu import EVAL_DIR  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from knowledge_index.embedders import load_embedder  # noqa: E402
from nlu.data import load_test_data, load_training_data  # noqa: E402
from nlu.embedded import EmbeddedIntentParser, train_intent_model  # noqa: E402
from nlu.protocol import IntentParser  # noqa: E402
from nlu.rasa_parser import RasaIntentParser  # noqa: E402
from nlu.rasa_runtime import (  # noqa: E402
    RasaWorkspace,
    rasa_server,
    train_rasa,
    training_record,
)

MESSAGES = 400


def _rss_mib(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))]


async def _latencies(parser: IntentParser, texts: list[str]) -> list[float]:
    for text in texts[:20]:  # warm-up
        await parser.parse(text, language="en")
    samples = []
    for text in texts:
        start = time.perf_counter()
        await parser.parse(text, language="en")
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def main(train_again: bool) -> None:
    settings = load_settings()
    data = load_training_data(settings.nlu.data_dir)
    texts = [e.text for e in load_test_data(EVAL_DIR)][:MESSAGES]
    table = Table("engine", "measure", "p50 / value", "p95", title="Guichet NLU benchmark")

    before = _rss_mib()
    embedder = load_embedder(settings.knowledge.embedder)
    after_encoder = _rss_mib()
    start = time.perf_counter()
    model = train_intent_model(data, embedder)
    training = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as scratch:
        import joblib

        joblib.dump(model, Path(scratch) / "model.joblib")
        model_file = (Path(scratch) / "model.joblib").stat().st_size / 2**20
        tracemalloc.start()
        reloaded = joblib.load(Path(scratch) / "model.joblib")
        parser = EmbeddedIntentParser(reloaded, embedder, data, settings.nlu.confidence_threshold)
        model_memory = tracemalloc.get_traced_memory()[0] / 2**20
        tracemalloc.stop()
    p50, p95 = _percentiles(await _latencies(parser, texts))
    table.add_row("embedded", f"training, {len(data.examples)} examples (s)", f"{training:.1f}")
    table.add_row("embedded", "sentence encoder in memory (MiB)", f"{after_encoder - before:.0f}")
    table.add_row(
        "embedded",
        "intent model + entity tagger in memory (MiB)",
        f"{model_memory:.0f} ({model_file:.1f} on disk)",
    )
    table.add_row("embedded", "parse, intent + entities (ms)", f"{p50:.2f}", f"{p95:.2f}")

    workspace = RasaWorkspace(settings.data_dir / "rasa")
    threshold = settings.nlu.confidence_threshold
    model_path = train_rasa(data, workspace, threshold, force=train_again)
    record = training_record(model_path)
    with rasa_server(model_path, workspace, port=_free_port(), cpus="1") as server:
        rasa = RasaIntentParser(httpx.AsyncClient(timeout=30.0), server.url)
        try:
            p50, p95 = _percentiles(await _latencies(rasa, texts))
        finally:
            await rasa.aclose()
        memory = _rss_mib(server.pid)
    seconds = record.get("seconds")
    table.add_row(
        "rasa",
        f"training, DIET 100 epochs, {len(data.examples)} examples (s)",
        f"{seconds:.0f}" if seconds else "not recorded",
    )
    table.add_row("rasa", "server start to /status (s)", f"{server.start_seconds:.0f}")
    table.add_row("rasa", "server resident memory (MiB)", f"{memory:.0f}")
    table.add_row("rasa", "parse over HTTP (ms)", f"{p50:.2f}", f"{p95:.2f}")
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main(train_again="--train-rasa" in sys.argv))
