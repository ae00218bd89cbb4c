"""Refit the re-ranker on the TUNE split of the real-text set (never the held-out one).

    PYTHONPATH=. .venv/bin/python scripts/fit_reranker.py [--l2 3.0] [--write]

Each tune text is searched as the search route sees it and as the omnibox sees it, finished
and half-typed; the first `rerank.depth_for(language, text)` entries in fused order are the
candidates. Prints the fused order's figures and the cross-validated re-ranked ones per slice,
and with --write stores the weights in knowledge_index/rerank.json (bump VERSION when the
features change).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

import yaml

from bot.settings import load_settings
from knowledge_index.embedders import load_embedder
from knowledge_index.evaluation import prefix_of
from knowledge_index.index import SearchQuery
from knowledge_index.query_shape import shape_of
from knowledge_index.rerank import MODEL_PATH, depth_for, features
from knowledge_index.rerank_fit import L2, Figures, Sample, cross_validated, figures, fit
from knowledge_index.service import IndexedKnowledgeBase, open_knowledge_base
from knowledge_index.suggest import SUGGESTABLE

TUNE = Path("knowledge_index/eval/real/tune.yaml")
VERSION = 1


def samples(
    knowledge: IndexedKnowledgeBase, queries: list[dict[str, object]], depth: int | None = None
) -> list[Sample]:
    index = knowledge.require()
    found: list[Sample] = []
    for query in queries:
        text, language, expect = str(query["q"]), query["lang"], query["expect"]
        assert isinstance(expect, list)
        for surface, half, complete, types in (
            ("search", False, True, None),
            ("search", True, True, None),
            ("omnibox", False, False, SUGGESTABLE),
            ("omnibox", True, False, SUGGESTABLE),
        ):
            typed = prefix_of(text) if half else text
            if surface == "search":
                typed = typed.strip()
            prepared = knowledge.prepare(
                SearchQuery(typed, language, limit=depth, types=types, complete=complete)  # type: ignore[arg-type]
            )
            ranked = index.candidates(
                prepared.query,
                prepared.vector,
                lexical=prepared.match,
                depth=depth or depth_for(language, prepared.query.text),  # type: ignore[arg-type]
            )
            if ranked is None:
                continue
            _, candidates, _ = ranked
            found.append(
                Sample(
                    x=features(candidates, shape_of(prepared.query.text)),
                    answers=[i for i, g in enumerate(candidates.groups) if g in expect],
                    answerable=bool(expect),
                    fused=candidates.fused,
                    group=str(query["id"]).rsplit("-", 1)[-1],  # the source row: EN/FR twins
                    slice=f"{surface} {'half' if half else 'full'} {language}",
                )
            )
    return found


def _line(name: str, before: Figures, after: Figures) -> str:
    return (
        f"{name:20} n={before.queries:3}  top-1 {before.top1:.3f} -> {after.top1:.3f}"
        f"  recall@5 {before.recall5:.3f} -> {after.recall5:.3f}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--l2", type=float, default=L2, help="L2 penalty")
    parser.add_argument(
        "--depth", type=int, default=None, help="candidates re-ranked (default: rerank.DEPTHS)"
    )
    parser.add_argument("--write", action="store_true", help="store the fitted weights")
    args = parser.parse_args()
    settings = load_settings()
    queries = yaml.safe_load(TUNE.read_text(encoding="utf-8"))["queries"]
    with TemporaryDirectory() as tmp:
        knowledge = open_knowledge_base(
            settings.knowledge.kb_dir,
            Path(tmp) / "index",
            load_embedder(settings.knowledge.embedder),
        )
        found = samples(knowledge, queries, args.depth)
    shown_from = settings.knowledge.suggest_threshold
    before = figures(found, lambda s: range(len(s.x)), shown_from=shown_from)
    after = cross_validated(found, shown_from=shown_from, l2=args.l2)
    sys.stdout.write(f"{len(found)} searches; fused order -> re-ranked (cross-validated)\n")
    for name in sorted(before):
        sys.stdout.write(_line(name, before[name], after[name]))
    model = fit(found, version=VERSION, fitted_on=f"{TUNE} (search and omnibox, full and 60%)")
    sys.stdout.write(f"weights {[round(w, 3) for w in model.weights]}\n")
    if args.write:
        if args.depth is not None:
            sys.exit(f"--write fits at rerank.DEPTHS, not --depth {args.depth}")
        model.dump(MODEL_PATH)
        sys.stdout.write(f"written to {MODEL_PATH}\n")


if __name__ == "__main__":
    main()
