"""Entities from regexes, lookup tables, synonyms and the spans annotated in the training data."""

from __future__ import annotations

import re
import unicodedata

from nlu.data import TrainingData
from nlu.protocol import Entity


def fold(text: str) -> str:
    """Lower-case and strip accents; keeps length so offsets stay valid for most text."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


class GazetteerExtractor:
    """Finds known phrases (accent- and case-insensitive, whole words), longest first."""

    def __init__(self, data: TrainingData) -> None:
        self._regexes = [
            (name, re.compile(pattern, re.IGNORECASE))
            for name, patterns in data.regexes.items()
            for pattern in patterns
        ]
        phrases: dict[str, tuple[str, str]] = {}
        for name, values in data.lookups.items():
            for value in values:
                phrases.setdefault(fold(value), (name, data.synonyms.get(value.casefold(), value)))
        for example in data.examples:
            for span in example.entities:
                if span.entity in {"email", "ticket_number"}:
                    continue  # regexes find these; an example's value is not a general phrase
                value = data.synonyms.get(span.value.casefold(), span.value)
                phrases.setdefault(fold(span.text), (span.entity, value))
        ordered = sorted(phrases, key=len, reverse=True)
        self._phrases = phrases
        self._pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(p) for p in ordered if p.strip()) + r")(?!\w)"
            )
            if ordered
            else None
        )

    def extract(self, text: str) -> list[Entity]:
        found: list[Entity] = []
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        for name, pattern in self._regexes:
            for match in pattern.finditer(text):
                if free(*match.span()):
                    taken.append(match.span())
                    value = match.group(0).upper() if name == "ticket_number" else match.group(0)
                    found.append(
                        Entity(
                            entity=name,
                            value=value,
                            text=match.group(0),
                            start=match.start(),
                            end=match.end(),
                            extractor="regex",
                        )
                    )
        folded = fold(text)
        if self._pattern is not None and len(folded) == len(text):
            for match in self._pattern.finditer(folded):
                if free(*match.span()):
                    taken.append(match.span())
                    name, value = self._phrases[match.group(1)]
                    found.append(
                        Entity(
                            entity=name,
                            value=value,
                            text=text[match.start() : match.end()],
                            start=match.start(),
                            end=match.end(),
                            extractor="gazetteer",
                        )
                    )
        return sorted(found, key=lambda e: e.start)
