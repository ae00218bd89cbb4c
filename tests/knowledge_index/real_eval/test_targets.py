"""The issue's targets on the held-back split, and the recall@5 baseline, on hand-made rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.kernel.language import Language
from knowledge_index.documents import ContentInvalid
from knowledge_index.real_eval.metrics import Figures
from knowledge_index.real_eval.realset import Split
from knowledge_index.real_eval.run import Form, Report, Row
from knowledge_index.real_eval.systems import Kind
from knowledge_index.real_eval.targets import (
    drops,
    failures,
    read_baseline,
    write_baseline,
)

pytestmark = pytest.mark.unit


def _row(
    system: str,
    kind: Kind,
    *,
    top1: float = 0.8,
    recall5: float = 0.95,
    mrr10: float = 0.85,
    auc: float | None = 0.9,
    language: Language = "en",
    form: Form = "full",
    split: Split = "heldout",
) -> Row:
    figures = Figures(10, 4, top1, recall5, mrr10, auc, 0.8, 0.7)
    return Row(split, language, form, system, kind, figures, 0)


def test_a_report_meeting_every_target_has_no_failure() -> None:
    report = Report(
        [
            _row("guichet search", "guichet"),
            _row("guichet omnibox", "guichet", form="half", top1=0.5, recall5=0.8, auc=None),
            _row("bm25s", "peer", top1=0.6, recall5=0.9, mrr10=0.7, auc=0.6),
            _row("guichet search", "guichet", split="tune", top1=0.1),  # tune is not judged
        ],
        [],
    )
    assert failures(report) == []


def test_each_missed_target_is_named() -> None:
    report = Report(
        [
            _row("guichet search", "guichet", language="fr", recall5=0.84, auc=0.5),
            _row("guichet omnibox", "guichet", form="half", recall5=0.7),
            _row("postgres-fts", "peer", language="fr", recall5=0.8, mrr10=0.9, auc=0.4),
        ],
        [],
    )
    assert failures(report) == [
        "heldout fr full guichet search: recall5 0.840 < 0.85",
        "heldout fr full guichet search: auc 0.500 < 0.8",
        "heldout fr full guichet search: top1 0.800 not ahead of postgres-fts 0.800",
        "heldout fr full guichet search: mrr10 0.850 not ahead of postgres-fts 0.900",
        "heldout en half guichet omnibox: recall5 0.700 < 0.75",
    ]


def test_a_perfect_figure_matched_by_a_peer_is_not_a_failure() -> None:
    report = Report(
        [
            _row("guichet search", "guichet", recall5=1.0),
            _row("bm25s", "peer", top1=0.5, recall5=1.0, mrr10=0.6, auc=0.5),
        ],
        [],
    )
    assert failures(report) == []


def test_a_recall_drop_beyond_the_tolerance_is_reported(tmp_path: Path) -> None:
    before = Report([_row("guichet search", "guichet", recall5=0.90)], [])
    write_baseline(tmp_path / "baseline.yaml", before)
    baseline = read_baseline(tmp_path / "baseline.yaml")
    assert baseline == {"heldout/en/full/guichet search": 0.9}

    slightly = Report([_row("guichet search", "guichet", recall5=0.875)], [])
    assert drops(slightly, baseline) == []
    fallen = Report([_row("guichet search", "guichet", recall5=0.86)], [])
    assert drops(fallen, baseline) == ["heldout/en/full/guichet search: recall@5 0.860, was 0.900"]
    assert drops(Report([], []), baseline) == [
        "heldout/en/full/guichet search: recall@5 no longer measured (was 0.900)"
    ]


def test_a_missing_baseline_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "baseline.yaml").write_text("something: else\n")
    with pytest.raises(ContentInvalid, match=r"baseline\.yaml"):
        read_baseline(tmp_path / "baseline.yaml")
