"""The real-ticket intent set split into `tune` and `heldout`, by the search set's rule.

A text is held back when `int(sha256(key), 16) % 100 < 40`. Its key is the source row of the
ticket it comes from, `endava-row-<row>`, found through the real search set (same text, same
language), so that a ticket's texts fall in the same split in both sets and in both languages.
A text of no row there (a few French out-of-scope rewrites) is keyed by its own words:
`nlu-real-<language>-<normalised text>` (`nlu.validation.normalise`).
Tuning reads `tune/` only; `heldout/` is scored, never read to choose anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import yaml

from nlu.data import Example
from nlu.validation import normalise

Split = Literal["tune", "heldout"]
SPLITS: tuple[Split, ...] = ("tune", "heldout")
HELD_BACK_PERCENT = 40
_ROW_PREFIX = "endava-"

HEADER = """\
version: "3.1"

# Real IT-ticket subjects labelled with Guichet's intents, {split} split (see ../../README.md).
# {rule} Never used in training.

nlu:
"""
RULES: dict[Split, str] = {
    "tune": "Tuning may read this file.",
    "heldout": "Held back: tuning never reads this file; its figures are reported apart.",
}


def held_back(key: str) -> bool:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < HELD_BACK_PERCENT


def source_rows(search_set: Iterable[Path]) -> dict[tuple[str, str], int]:
    """(language, normalised text) -> source row, from the real search set's YAML files."""
    rows: dict[tuple[str, str], int] = {}
    for path in search_set:
        for query in yaml.safe_load(path.read_text())["queries"]:
            row = int(str(query["id"]).rsplit("-", 1)[1])
            rows[(query["lang"], normalise(query["q"]))] = row
    return rows


def split_key(example: Example, rows: Mapping[tuple[str, str], int]) -> str:
    row = rows.get((example.language, normalise(example.text)))
    if row is not None:
        return f"{_ROW_PREFIX}row-{row}"
    return f"nlu-real-{example.language}-{normalise(example.text)}"


def split_of(example: Example, rows: Mapping[tuple[str, str], int]) -> Split:
    return "heldout" if held_back(split_key(example, rows)) else "tune"


def render(examples: Iterable[Example], split: Split) -> str:
    """Rasa NLU YAML, intents in the order they first appear, examples in their order."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(example.text)
    blocks = [
        f"- intent: {intent}\n  examples: |\n" + "".join(f"    - {text}\n" for text in texts)
        for intent, texts in by_intent.items()
    ]
    return HEADER.format(split=split, rule=RULES[split]) + "\n".join(blocks)


def split_files(examples: Iterable[Example], rows: Mapping[tuple[str, str], int]) -> dict[str, str]:
    """`<split>/<language>/real.yml` -> content, for every split and language present."""
    grouped: dict[tuple[Split, str], list[Example]] = {}
    for example in examples:
        grouped.setdefault((split_of(example, rows), example.language), []).append(example)
    return {
        f"{split}/{language}/real.yml": render(members, split)
        for (split, language), members in sorted(grouped.items())
    }
