"""The issue's targets on the held-back split, and the recall@5 baseline the suite keeps.

Targets (issue 19): recall@5 at least 0.90 in English and 0.85 in French, top-1 at least 0.70,
half-typed recall@5 at least 0.75, abstention AUC at least 0.80 — for search and for the
omnibox — and ahead of every peer on every figure.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from knowledge_index.documents import ContentInvalid
from knowledge_index.real_eval.realset import Split
from knowledge_index.real_eval.run import Report, Row

CHECKED_SPLIT: Split = "heldout"
RECALL5 = {"en": 0.90, "fr": 0.85}
TOP1 = 0.70
HALF_RECALL5 = 0.75
AUC = 0.80
COMPARED = ("top1", "recall5", "mrr10", "auc")
BASELINE_TOLERANCE = 0.03


def _floors(row: Row) -> dict[str, float]:
    if row.form == "half":
        return {"recall5": HALF_RECALL5}
    return {"recall5": RECALL5[row.language], "top1": TOP1, "auc": AUC}


def _value(row: Row, metric: str) -> float | None:
    value: float | None = getattr(row.figures, metric)
    return value


def failures(report: Report, split: Split = CHECKED_SPLIT) -> list[str]:
    """Every target missed on `split`, one line each naming the figure and the target."""
    missed: list[str] = []
    rows = [r for r in report.rows if r.split == split]
    for row in (r for r in rows if r.kind == "guichet"):
        where = f"{split} {row.language} {row.form} {row.system}"
        for metric, floor in _floors(row).items():
            value = _value(row, metric)
            if value is None or value < floor:
                shown = "n/a" if value is None else f"{value:.3f}"
                missed.append(f"{where}: {metric} {shown} < {floor}")
        peers = [
            r for r in rows if r.kind == "peer" and (r.language, r.form) == (row.language, row.form)
        ]
        for peer in peers:
            for metric in COMPARED:
                ours, theirs = _value(row, metric), _value(peer, metric)
                if ours is None or theirs is None:
                    continue
                # Ahead means above; a perfect figure cannot be passed, only matched.
                if ours < theirs or (ours == theirs and ours < 1.0):
                    missed.append(
                        f"{where}: {metric} {ours:.3f} not ahead of {peer.system} {theirs:.3f}"
                    )
    return missed


def _key(row: Row) -> str:
    return f"{row.split}/{row.language}/{row.form}/{row.system}"


def baseline_of(report: Report) -> dict[str, float]:
    """Guichet's recall@5 per split, language, form and system, as `baseline.yaml` keeps it."""
    return {
        _key(r): round(r.figures.recall5, 4)
        for r in report.rows
        if r.kind == "guichet" and r.figures.answerable
    }


def write_baseline(path: Path, report: Report) -> None:
    text = (
        "# Guichet's recall@5 on this set, written by `guichet eval search --set real "
        "--write-baseline`;\n# the suite fails when one falls by more than "
        f"{BASELINE_TOLERANCE}.\n"
    )
    path.write_text(
        text + yaml.safe_dump({"recall5": baseline_of(report)}, sort_keys=True), encoding="utf-8"
    )


def read_baseline(path: Path) -> dict[str, float]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {str(k): float(v) for k, v in data["recall5"].items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ContentInvalid(path=str(path), problem=f"no recall5 baseline: {exc}") from exc


def drops(report: Report, baseline: dict[str, float]) -> list[str]:
    """Each recorded recall@5 that fell by more than the tolerance (or is no longer measured)."""
    now = baseline_of(report)
    fallen: list[str] = []
    for key, before in sorted(baseline.items()):
        after = now.get(key)
        if after is None:
            fallen.append(f"{key}: recall@5 no longer measured (was {before:.3f})")
        elif after < before - BASELINE_TOLERANCE:
            fallen.append(f"{key}: recall@5 {after:.3f}, was {before:.3f}")
    return fallen
