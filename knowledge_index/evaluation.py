"""Search quality on a labelled set: top-1, recall@5 and MRR, per language, full and prefixes.

A prefix is the first 60% of a query's characters, as typed in the omnibox before it is
finished. Out-of-domain queries (no expected answer) should score below the answer threshold:
the assistant then says it is not sure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from bot.kernel.language import Language
from knowledge_index.documents import ContentInvalid, EntryType
from knowledge_index.index import SearchQuery
from knowledge_index.service import IndexedKnowledgeBase

PREFIX_SHARE = 0.6
DEPTH = 10
EVALUATED: tuple[EntryType, ...] = ("action", "catalog_item", "procedure", "faq", "known_error")
TARGETS = {
    ("full", "top1"): 0.85,
    ("full", "recall5"): 0.95,
    ("prefix", "recall5"): 0.85,
    ("out_of_domain", "not_sure"): 0.90,
}

Form = Literal["full", "prefix"]


class LabelledQuery(BaseModel):
    lang: Language
    q: str = Field(min_length=1)
    expect: list[str]


class LabelledSet(BaseModel):
    queries: list[LabelledQuery]

    @classmethod
    def load(cls, path: Path) -> LabelledSet:
        try:
            return cls.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ContentInvalid(path=str(path), problem=str(exc).splitlines()[0]) from exc


class Scores(BaseModel):
    queries: int = 0
    top1: float = 0.0
    recall5: float = 0.0
    mrr: float = 0.0


class Miss(BaseModel):
    form: Form
    lang: Language
    q: str
    expect: list[str]
    got: list[str]


class Report(BaseModel):
    full: dict[str, Scores]
    prefix: dict[str, Scores]
    out_of_domain: int
    not_sure: float
    confident_in_domain: float
    answer_threshold: float
    misses: list[Miss]

    def failures(self) -> list[str]:
        """The targets of the issue that this report misses."""
        values = {
            ("full", "top1"): self.full["all"].top1,
            ("full", "recall5"): self.full["all"].recall5,
            ("prefix", "recall5"): self.prefix["all"].recall5,
            ("out_of_domain", "not_sure"): self.not_sure,
        }
        return [
            f"{form} {metric} {values[(form, metric)]:.3f} < {target}"
            for (form, metric), target in TARGETS.items()
            if values[(form, metric)] < target
        ]


def prefix_of(query: str) -> str:
    return query[: max(2, math.ceil(len(query) * PREFIX_SHARE))]


def _rank(groups: Sequence[str], expect: Sequence[str]) -> int | None:
    return next((i for i, group in enumerate(groups) if group in expect), None)


def _scores(ranks: list[int | None]) -> Scores:
    n = len(ranks)
    if not n:
        return Scores()
    return Scores(
        queries=n,
        top1=sum(r == 0 for r in ranks) / n,
        recall5=sum(r is not None and r < 5 for r in ranks) / n,
        mrr=sum(1 / (r + 1) for r in ranks if r is not None) / n,
    )


async def evaluate(
    knowledge: IndexedKnowledgeBase, labelled: LabelledSet, *, answer_threshold: float
) -> Report:
    ranks: dict[tuple[Form, str], list[int | None]] = {}
    misses: list[Miss] = []
    not_sure = confident = in_domain = out_of_domain = 0
    for item in labelled.queries:
        if not item.expect:
            hits = await knowledge.hybrid(SearchQuery(item.q, item.lang, limit=1, types=EVALUATED))
            out_of_domain += 1
            not_sure += not hits or hits[0].score < answer_threshold
            continue
        in_domain += 1
        forms: tuple[tuple[Form, str], ...] = (("full", item.q), ("prefix", prefix_of(item.q)))
        for form, text in forms:
            hits = await knowledge.hybrid(
                SearchQuery(text, item.lang, limit=DEPTH, types=EVALUATED, complete=form == "full")
            )
            groups = [h.entry.group for h in hits]
            rank = _rank(groups, item.expect)
            for key in ("all", item.lang):
                ranks.setdefault((form, key), []).append(rank)
            if form == "full":
                confident += bool(hits) and hits[0].score >= answer_threshold
            if rank is None or (form == "full" and rank > 0):
                misses.append(
                    Miss(form=form, lang=item.lang, q=text, expect=item.expect, got=groups[:5])
                )
    return Report(
        full={k: _scores(v) for (f, k), v in ranks.items() if f == "full"},
        prefix={k: _scores(v) for (f, k), v in ranks.items() if f == "prefix"},
        out_of_domain=out_of_domain,
        not_sure=not_sure / out_of_domain if out_of_domain else 1.0,
        confident_in_domain=confident / in_domain if in_domain else 0.0,
        answer_threshold=answer_threshold,
        misses=misses,
    )
