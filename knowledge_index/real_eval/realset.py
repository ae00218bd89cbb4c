"""The real-text evaluation set: employees' own ticket texts, labelled with the entry groups
that answer them (an empty `expect`: nothing in the knowledge base does).

A set is a folder with one file per split: `tune.yaml`, which tuning may read, and
`heldout.yaml`, which it never reads; `baseline.yaml` beside them records the recall@5 the
suite holds the service to.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from bot.kernel.language import Language
from knowledge_index.documents import ContentInvalid

Split = Literal["tune", "heldout"]
SPLITS: tuple[Split, ...] = ("tune", "heldout")
BASELINE = "baseline.yaml"


class RealQuery(BaseModel):
    """One labelled text. `id` and `source` are optional so that the project's own sample
    queries (knowledge_index/eval/queries.yaml) can be run through the same evaluation."""

    id: str | None = None
    lang: Language
    q: str = Field(min_length=1)
    expect: list[str]
    source: str | None = None

    @property
    def answerable(self) -> bool:
        return bool(self.expect)


class RealSplit(BaseModel):
    version: Literal[1] = 1
    queries: list[RealQuery]


def split_path(directory: Path, split: Split) -> Path:
    return directory / f"{split}.yaml"


def load_split(path: Path) -> list[RealQuery]:
    """The queries of one split file; a malformed file is named in the error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return RealSplit.model_validate(data).queries
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ContentInvalid(path=str(path), problem=str(exc).splitlines()[0]) from exc


def load_splits(directory: Path, splits: Sequence[Split]) -> dict[Split, list[RealQuery]]:
    return {split: load_split(split_path(directory, split)) for split in splits}


def unknown_groups(
    sets: dict[Split, list[RealQuery]], groups: Collection[str]
) -> dict[str, list[str]]:
    """Expected groups the knowledge base does not have, with the queries naming them."""
    unknown: dict[str, list[str]] = {}
    for split, queries in sets.items():
        for number, query in enumerate(queries):
            for group in query.expect:
                if group not in groups:
                    unknown.setdefault(group, []).append(query.id or f"{split}#{number}")
    return unknown
