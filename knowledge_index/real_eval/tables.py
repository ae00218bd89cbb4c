"""The report as tables: one per split, language and form, Guichet's systems then the peers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from knowledge_index.real_eval.realset import Split
from knowledge_index.real_eval.run import FORMS, Report, Row
from knowledge_index.text import LANGUAGES

HEADER = (
    "system", "answerable / none", "top-1", "recall@5", "MRR@10", "AUC not sure",
    "abstain P", "abstain R",
)  # fmt: skip
SPLIT_TITLES: dict[Split, str] = {
    "tune": "tune split",
    "heldout": "HELD-BACK split (never read by tuning)",
}
LANGUAGE_TITLES = {"en": "English", "fr": "French"}
FORM_TITLES = {"full": "full text", "half": "half-typed (first 60% of characters)"}


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[tuple[str, ...]]


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def cells(row: Row) -> tuple[str, ...]:
    f = row.figures
    refused = f" ({row.refused} refused)" if row.refused else ""
    return (
        row.system,
        f"{f.answerable} / {f.unanswerable}{refused}",
        _number(f.top1),
        _number(f.recall5),
        _number(f.mrr10),
        _number(f.auc),
        _number(f.abstention_precision),
        _number(f.abstention_recall),
    )


def sections(report: Report) -> Iterator[Section]:
    splits = list(dict.fromkeys(r.split for r in report.rows))
    for split in splits:
        for language in LANGUAGES:
            for form in FORMS:
                rows = [
                    r
                    for r in report.rows
                    if (r.split, r.language, r.form) == (split, language, form)
                ]
                rows.sort(key=lambda r: r.kind != "guichet")  # Guichet first, then peers
                if rows:
                    title = (
                        f"{SPLIT_TITLES[split]} · {LANGUAGE_TITLES[language]} · {FORM_TITLES[form]}"
                    )
                    yield Section(title, [cells(r) for r in rows])


def markdown(report: Report) -> str:
    """Tables to paste into docs/benchmarks/."""
    parts: list[str] = []
    for section in sections(report):
        parts.append(f"#### {section.title}\n")
        parts.append("| " + " | ".join(HEADER) + " |")
        parts.append("|" + " --- |" * len(HEADER))
        parts.extend("| " + " | ".join(row) + " |" for row in section.rows)
        parts.append("")
    return "\n".join(parts)
