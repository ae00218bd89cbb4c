"""Entities from regexes, lookup tables, synonyms and the spans annotated in the training data.

Two extractors work together: the gazetteer finds the known phrases exactly (regexes first),
then the CRF tagger (`nlu.crf`) adds the spans it recognises from their context. A tagged
span of an entity with a closed set of values (impact, urgency) gets the value of the
closest known phrase, or is dropped when none is close.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from nlu.crf import CrfTagger
from nlu.data import TrainingData
from nlu.protocol import Entity
from nlu.text import fold

__all__ = ["EntityExtractor", "GazetteerExtractor", "fold"]

# Entities whose value is one of a few normalised words, never the text as written.
CLOSED_ENTITIES = frozenset({"impact", "urgency"})
# Spans found by the regexes; an example's text is no general phrase for these.
REGEX_ENTITIES = frozenset({"email", "ticket_number"})
MIN_TAG_CONFIDENCE = 0.5
MIN_VALUE_SIMILARITY = 0.35


def _plain_words(data: TrainingData) -> set[str]:
    """Words the examples use outside any annotation: "office", "project", "tableau"..."""
    words: set[str] = set()
    for example in data.examples:
        text = example.text
        for span in sorted(example.entities, key=lambda s: -s.start):
            text = text[: span.start] + " " + text[span.end :]
        words.update(re.findall(r"\w+", fold(text)))
    return words


class GazetteerExtractor:
    """Finds known phrases (accent- and case-insensitive, whole words), longest first.

    A phrase that is also an everyday word in the examples ("Office", "Project", "Tableau")
    is taken only when written as in the lookup table or an annotation (capitalised).
    """

    def __init__(self, data: TrainingData) -> None:
        self._regexes = [
            (name, re.compile(pattern, re.IGNORECASE))
            for name, patterns in data.regexes.items()
            for pattern in patterns
        ]
        phrases: dict[str, tuple[str, str]] = {}
        surfaces: defaultdict[str, set[str]] = defaultdict(set)

        def add(surface: str, entity: str, value: str) -> None:
            key = fold(surface)
            if key.strip():
                phrases.setdefault(key, (entity, value))
                surfaces[key].add(surface)

        for name, values in data.lookups.items():
            for value in values:
                add(value, name, data.synonyms.get(value.casefold(), value))
        value_entity: dict[str, str] = {}
        for example in data.examples:
            for span in example.entities:
                value = data.synonyms.get(span.value.casefold(), span.value)
                value_entity.setdefault(value, span.entity)
                if span.entity not in REGEX_ENTITIES:
                    add(span.text, span.entity, value)
        for surface, value in data.synonyms.items():
            if value in value_entity:
                add(surface, value_entity[value], value)
        plain = _plain_words(data)
        self._exact_case = {
            key: capitalised
            for key in phrases
            if " " not in key
            and key in plain
            and (capitalised := {s for s in surfaces[key] if s != s.lower()})
        }
        ordered = sorted(phrases, key=len, reverse=True)
        self._phrases = phrases
        self._pattern = (
            re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in ordered) + r")(?!\w)")
            if ordered
            else None
        )

    def extract(self, text: str) -> list[Entity]:
        found: list[Entity] = []
        for name, pattern in self._regexes:
            for match in pattern.finditer(text):
                if _free(found, *match.span()):
                    value = match.group(0).upper() if name == "ticket_number" else match.group(0)
                    found.append(_entity(text, name, value, *match.span(), "regex"))
        folded = fold(text)
        if self._pattern is not None and len(folded) == len(text):
            for match in self._pattern.finditer(folded):
                key, (start, end) = match.group(1), match.span()
                if key in self._exact_case and text[start:end] not in self._exact_case[key]:
                    continue
                if _free(found, start, end):
                    name, value = self._phrases[key]
                    found.append(_entity(text, name, value, start, end, "gazetteer"))
        return sorted(found, key=lambda e: e.start)


def _free(found: list[Entity], start: int, end: int) -> bool:
    return all(end <= e.start or start >= e.end for e in found)


def _entity(text: str, name: str, value: str, start: int, end: int, extractor: str) -> Entity:
    return Entity(
        entity=name,
        value=value,
        text=text[start:end],
        start=start,
        end=end,
        extractor=extractor,
    )


class ValueNormaliser:
    """The value of a closed entity from the known phrase its words are closest to."""

    def __init__(self, data: TrainingData) -> None:
        pairs: Counter[tuple[str, str, str]] = Counter()
        for example in data.examples:
            for span in example.entities:
                if span.entity in CLOSED_ENTITIES:
                    pairs[(span.entity, fold(span.text), span.value)] += 1
        for surface, value in data.synonyms.items():
            for entity in CLOSED_ENTITIES:
                if any(e == entity and v == value for e, _, v in pairs):
                    pairs[(entity, fold(surface), value)] += 1
        self._known = sorted(pairs)
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4))
        self._matrix = (
            self._vectorizer.fit_transform([text for _, text, _ in self._known])
            if self._known
            else None
        )

    def value(self, entity: str, text: str) -> str | None:
        if self._matrix is None:
            return None
        similarity = (self._matrix @ self._vectorizer.transform([fold(text)]).T).toarray()[:, 0]
        for index in np.argsort(similarity)[::-1]:
            known_entity, _, value = self._known[index]
            if similarity[index] < MIN_VALUE_SIMILARITY:
                return None
            if known_entity == entity:
                return str(value)
        return None


class EntityExtractor:
    """Gazetteer first, then the spans the CRF tagger is confident about."""

    def __init__(self, data: TrainingData, tagger: CrfTagger | None) -> None:
        self._gazetteer = GazetteerExtractor(data)
        self._tagger = tagger
        self._synonyms = data.synonyms
        self._values = ValueNormaliser(data)

    def extract(self, text: str) -> list[Entity]:
        found = self._gazetteer.extract(text)
        if self._tagger is None:
            return found
        for span in self._tagger.tag(text):
            if span.confidence < MIN_TAG_CONFIDENCE or not _free(found, span.start, span.end):
                continue
            surface = text[span.start : span.end]
            if span.entity in REGEX_ENTITIES:
                continue  # the regexes are the authority on these
            if span.entity in CLOSED_ENTITIES:
                value = self._values.value(span.entity, surface)
                if value is None:
                    continue
            else:
                value = self._synonyms.get(surface.casefold(), surface)
            found.append(_entity(text, span.entity, value, span.start, span.end, "crf"))
        return sorted(found, key=lambda e: e.start)
