"""Embedders compared on the sample knowledge base and the labelled queries of `guichet eval`.

Run with `.venv/bin/python -m bench.embedders [NAME ...]`. For each embedder: load and index
build time, time to embed one query (one thread), top-1 / recall@5 / MRR of dense search alone
and fused with BM25, and how well its scores separate out-of-domain questions: the threshold
below which 90% of them fall, and the share of in-domain questions above it.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import knowledge_index.index as index_module
from bot.settings import SAMPLE_KB_DIR
from knowledge_index.embedders import load_embedder
from knowledge_index.evaluation import DEPTH, EVALUATED, LabelledSet, evaluate
from knowledge_index.index import SearchQuery
from knowledge_index.service import IndexedKnowledgeBase, open_knowledge_base

DATA = Path(__file__).resolve().parent.parent / "knowledge_index" / "eval" / "queries.yaml"
DEFAULT = ["use-multilingual", "multilingual-e5-small", "all-minilm-l6-v2"]


async def _separation(
    knowledge: IndexedKnowledgeBase, labelled: LabelledSet
) -> tuple[float, float]:
    """(threshold under which 90% of out-of-domain best scores fall, in-domain share above)."""
    inside, outside = [], []
    for item in labelled.queries:
        hits = await knowledge.hybrid(SearchQuery(item.q, item.lang, limit=DEPTH, types=EVALUATED))
        best = hits[0].score if hits else 0.0
        (inside if item.expect else outside).append(best)
    threshold = sorted(outside)[int(0.9 * (len(outside) - 1))] + 1e-6
    return threshold, sum(s >= threshold for s in inside) / len(inside)


def measure(name: str, labelled: LabelledSet, table: Table) -> None:
    start = time.perf_counter()
    embedder = load_embedder(name)
    loaded = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as directory:
        start = time.perf_counter()
        knowledge = open_knowledge_base(SAMPLE_KB_DIR, Path(directory) / "index", embedder)
        built = time.perf_counter() - start
        samples = []
        for item in labelled.queries[:100]:
            start = time.perf_counter()
            embedder.embed([item.q])
            samples.append((time.perf_counter() - start) * 1000)
        fused = index_module.LEXICAL_WEIGHT
        rows = []
        for label, weight in (("dense", 0.0), ("hybrid", fused)):
            index_module.LEXICAL_WEIGHT = weight
            report = asyncio.run(evaluate(knowledge, labelled, answer_threshold=0.45))
            threshold, confident = asyncio.run(_separation(knowledge, labelled))
            rows.append((label, report, threshold, confident))
        index_module.LEXICAL_WEIGHT = fused
    for label, report, threshold, confident in rows:
        table.add_row(
            name,
            label,
            f"{loaded:.1f}",
            f"{built:.1f}",
            f"{statistics.median(samples):.1f}",
            f"{report.full['all'].top1:.3f}",
            f"{report.full['all'].recall5:.3f}",
            f"{report.full['all'].mrr:.3f}",
            f"{report.prefix['all'].recall5:.3f}",
            f"{threshold:.2f}",
            f"{confident:.1%}",
        )


def main() -> None:
    names = sys.argv[1:] or DEFAULT
    labelled = LabelledSet.load(DATA)
    table = Table(
        "embedder", "search", "load s", "build s", "query ms", "top-1", "recall@5", "MRR",
        "prefix r@5", "OOD 90% under", "in-domain above",
        title=f"{len(labelled.queries)} labelled queries, sample knowledge base",
    )  # fmt: skip
    for name in names:
        measure(name, labelled, table)
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
