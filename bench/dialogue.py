"""Dialogue benchmark: start-up costs, then per-message latency of each layer and end to end.

Run with `make bench` (or `.venv/bin/python -m bench.dialogue`). Prints a table.
"""

from __future__ import annotations

import asyncio
import resource
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bot.app.services import load_components, open_services
from bot.settings import load_settings
from knowledge_index.documents import KnowledgeContent
from knowledge_index.embedders import load_embedder
from knowledge_index.index import KnowledgeIndex, SearchQuery
from nlu.data import load_training_data
from nlu.embedded import train_intent_model

QUERIES = [
    "my vpn keeps disconnecting at the hotel",
    "mot de passe oublié",
    "Outlook crashes at startup",
    "l'imprimante n'imprime plus",
    "I need a second screen",
    "où en est mon ticket INC-000001",
    "teams has no sound with my headset",
    "le wifi coupe dans la salle de réunion",
    "how do I add a shared mailbox",
    "écran noir sur le dock après la veille",
]
ROUNDS = 5


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95, ordered[-1]


async def _time(calls: Callable[[str], Awaitable[object]]) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        for query in QUERIES:
            start = time.perf_counter()
            await calls(query)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


async def main() -> None:
    table = Table("measure", "p50 / value", "p95", "max", title="Guichet dialogue benchmark")
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(data_dir=Path(scratch))
        start = time.perf_counter()
        embedder = load_embedder(settings.knowledge.embedder)
        table.add_row("model load (s)", f"{time.perf_counter() - start:.2f}", "", "")

        entries = KnowledgeContent.load(settings.knowledge.kb_dir).entries()
        start = time.perf_counter()
        index = KnowledgeIndex.build(entries, embedder)
        table.add_row(
            f"index build, {len(entries)} entries / {index.manifest.passages} passages (s)",
            f"{time.perf_counter() - start:.1f}",
            "",
            "",
        )

        data = load_training_data(settings.nlu.data_dir)
        start = time.perf_counter()
        train_intent_model(data, embedder)
        table.add_row(
            f"intent training, {len(data.examples)} examples (s)",
            f"{time.perf_counter() - start:.1f}",
            "",
            "",
        )

        components = await load_components(settings)
        services = await open_services(settings, components)
        try:
            rows = {
                "embed one query (ms)": lambda q: asyncio.to_thread(embedder.embed, [q]),
                "intent + entities (ms)": lambda q: components.parser.parse(q, language="en"),
                "knowledge search (ms)": lambda q: components.knowledge.search(
                    SearchQuery(q, "en")
                ),
            }
            for label, call in rows.items():
                table.add_row(label, *(f"{v:.1f}" for v in _percentiles(await _time(call))))

            async def message(text: str) -> object:
                conversation = await services.engine.start(channel="bench", user_id="bench")
                return await services.engine.handle(conversation.id, text)

            table.add_row(
                "message end to end, SQLite (ms)",
                *(f"{v:.1f}" for v in _percentiles(await _time(message))),
            )
        finally:
            await services.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table.add_row("peak resident memory (MiB)", f"{peak:.0f}", "", "")
    Console().print(table)


if __name__ == "__main__":
    asyncio.run(main())
