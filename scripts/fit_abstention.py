"""Refit the abstention model on the TUNE split of the real-text set (never the held-out one).

    PYTHONPATH=. .venv/bin/python scripts/fit_abstention.py [--write]

Prints the cross-validated AUC, and with --write stores the coefficients in
knowledge_index/abstention.json (bump VERSION when the features change).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import yaml

from bot.settings import load_settings
from knowledge_index.abstention import MODEL_PATH, features
from knowledge_index.abstention_fit import (
    cross_validated_auc,
    cross_validated_auc_by_slice,
    fit,
)
from knowledge_index.embedders import load_embedder
from knowledge_index.evaluation import prefix_of
from knowledge_index.index import SearchQuery
from knowledge_index.service import open_knowledge_base
from knowledge_index.suggest import SUGGESTABLE

TUNE = Path("knowledge_index/eval/real/tune.yaml")
VERSION = 4


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="store the fitted coefficients")
    args = parser.parse_args()
    settings = load_settings()
    queries = yaml.safe_load(TUNE.read_text(encoding="utf-8"))["queries"]
    rows, labels, groups, slices = [], [], [], []
    with TemporaryDirectory() as tmp:
        knowledge = open_knowledge_base(
            settings.knowledge.kb_dir,
            Path(tmp) / "index",
            load_embedder(settings.knowledge.embedder),
        )
        for query in queries:
            # As the search route sees a finished text, and as the omnibox sees it half-typed.
            for text, complete, types, limit, typed in (
                (query["q"], True, None, 10, "full"),
                (prefix_of(query["q"]), False, SUGGESTABLE, 8, "half"),
            ):
                found = knowledge.find_now(
                    SearchQuery(text, query["lang"], limit=limit, types=types, complete=complete)
                )
                rows.append(features(found.evidence.hits, found.evidence.match))
                labels.append(1.0 if query["expect"] else 0.0)
                groups.append(query["id"].rsplit("-", 1)[-1])  # the source row: EN and FR twins
                slices.append(f"{query['lang']} {typed}")
    x, y = np.asarray(rows), np.asarray(labels)
    sys.stdout.write(
        f"{len(y)} searches, cross-validated AUC {cross_validated_auc(x, y, groups):.3f}\n"
    )
    for name, value in cross_validated_auc_by_slice(x, y, groups, slices).items():
        sys.stdout.write(f"  {name:8} cross-validated AUC {value:.3f}\n")
    model = fit(x, y, version=VERSION, fitted_on=f"{TUNE} (full and 60% prefixes)")
    sys.stdout.write(f"weights {model.weights} intercept {model.intercept:.3f}\n")
    if args.write:
        model.dump(MODEL_PATH)
        sys.stdout.write(f"written to {MODEL_PATH}\n")


if __name__ == "__main__":
    main()
