"""Checks run before training: each problem names the file, the line and the reason."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.kernel.errors import GuichetError
from nlu.data import Example, TrainingData
from nlu.domain import ENTITIES
from nlu.text import fold

MIN_EXAMPLES = 10
_SHOWN = 30


@dataclass(frozen=True)
class Problem:
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


class TrainingDataRejected(GuichetError):
    message = "the NLU data has {count} problem(s); nothing was trained:\n{report}"

    def __init__(self, *, problems: list[Problem]) -> None:
        shown = [f"  {problem}" for problem in problems[:_SHOWN]]
        if len(problems) > _SHOWN:
            shown.append(f"  ... and {len(problems) - _SHOWN} more")
        super().__init__(count=len(problems), report="\n".join(shown))
        self.problems = problems


def normalise(text: str) -> str:
    """What two examples must share to teach the classifier the same thing."""
    return " ".join(re.findall(r"\w+", fold(text)))


def _unknown_entities(data: TrainingData) -> list[Problem]:
    known = ", ".join(sorted(ENTITIES))
    problems = [
        Problem(
            example.location, f"unknown entity {span.entity!r} in {span.text!r}; known: {known}"
        )
        for example in data.examples
        for span in example.entities
        if span.entity not in ENTITIES
    ]
    problems.extend(
        Problem(f"{block.path}:{block.line}", f"{block.kind} for unknown entity {block.name!r}")
        for block in data.blocks
        if block.kind in ("regex", "lookup") and block.name not in ENTITIES
    )
    return problems


def _duplicates(data: TrainingData) -> list[Problem]:
    first: dict[str, Example] = {}
    problems = []
    for example in data.examples:
        key = normalise(example.text)
        seen = first.setdefault(key, example)
        if seen.intent != example.intent:
            problems.append(
                Problem(
                    example.location,
                    f"{example.text!r} is an example of {example.intent!r} and also of "
                    f"{seen.intent!r} ({seen.location}); keep it in one intent",
                )
            )
    return problems


def _too_few(data: TrainingData, minimum: int) -> list[Problem]:
    counts = Counter((e.intent, e.language) for e in data.examples)
    problems = []
    reported: set[tuple[str, str]] = set()
    intents = [block for block in data.blocks if block.kind == "intent"]
    for block in intents:
        key = (block.name, block.language)
        if counts[key] < minimum and key not in reported:
            reported.add(key)
            problems.append(
                Problem(
                    f"{block.path}:{block.line}",
                    f"intent {block.name!r} has {counts[key]} example(s) in "
                    f"{block.language!r}; at least {minimum} are needed",
                )
            )
    languages = data.languages
    for intent in data.intents:
        for language in languages:
            if counts[(intent, language)] == 0:
                where = next(b for b in intents if b.name == intent)
                problems.append(
                    Problem(
                        f"{where.path}:{where.line}",
                        f"intent {intent!r} has no example in {language!r}; "
                        f"add at least {minimum} to a {language}/ file",
                    )
                )
    return problems


def find_problems(data: TrainingData, min_examples: int = MIN_EXAMPLES) -> list[Problem]:
    return [*_unknown_entities(data), *_duplicates(data), *_too_few(data, min_examples)]


def check_training_data(data: TrainingData, min_examples: int = MIN_EXAMPLES) -> None:
    """Raise `TrainingDataRejected` listing every problem, or return when the data is usable."""
    problems = find_problems(data, min_examples)
    if problems:
        raise TrainingDataRejected(problems=problems)
