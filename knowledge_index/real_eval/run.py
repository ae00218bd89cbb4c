"""One run over the real set: every system on every query, full and half-typed, then the
figures per split, language, form and system."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.kernel.language import Language
from knowledge_index.evaluation import prefix_of
from knowledge_index.real_eval.metrics import Figures, Outcome, figures, rank_of
from knowledge_index.real_eval.realset import RealQuery, Split
from knowledge_index.real_eval.systems import Answer, Kind, System
from knowledge_index.text import LANGUAGES

Form = Literal["full", "half"]
FORMS: tuple[Form, ...] = ("full", "half")


def typed(query: RealQuery, form: Form) -> str:
    """The text as typed: all of it, or its first 60% of characters."""
    return query.q if form == "full" else prefix_of(query.q)


@dataclass(frozen=True)
class Row:
    split: Split
    language: Language
    form: Form
    system: str
    kind: Kind
    figures: Figures
    refused: int  # queries the service refused (4xx): too long for it


@dataclass(frozen=True)
class Miss:
    split: Split
    system: str
    form: Form
    query: RealQuery
    got: list[str]


@dataclass(frozen=True)
class Report:
    rows: list[Row]
    misses: list[Miss]

    def row(self, split: Split, language: Language, form: Form, system: str) -> Row | None:
        return next(
            (
                r
                for r in self.rows
                if (r.split, r.language, r.form, r.system) == (split, language, form, system)
            ),
            None,
        )


def _outcome(query: RealQuery, answer: Answer) -> Outcome:
    return Outcome(
        answerable=query.answerable,
        rank=rank_of(answer.groups, query.expect) if query.answerable else None,
        sureness=answer.sureness,
        abstained=answer.abstained,
    )


async def evaluate(systems: Sequence[System], sets: dict[Split, list[RealQuery]]) -> Report:
    rows: list[Row] = []
    misses: list[Miss] = []
    for split, queries in sets.items():
        for system in systems:
            for form in FORMS:
                done: dict[Language, list[tuple[Outcome, bool]]] = {lang: [] for lang in LANGUAGES}
                for query in queries:
                    answer = await system.answer(typed(query, form), query.lang)
                    outcome = _outcome(query, answer)
                    done[query.lang].append((outcome, answer.refused))
                    if query.answerable and outcome.rank != 0:
                        misses.append(Miss(split, system.name, form, query, answer.groups[:5]))
                for language, pairs in done.items():
                    if pairs:
                        rows.append(
                            Row(
                                split,
                                language,
                                form,
                                system.name,
                                system.kind,
                                figures([o for o, _ in pairs]),
                                sum(refused for _, refused in pairs),
                            )
                        )
    return Report(rows, misses)
