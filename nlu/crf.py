"""A conditional-random-field entity tagger trained on the annotated examples (like Rasa's CRF).

The gazetteer finds the phrases it was given; the tagger generalises from their context, which
matters for open-ended wording: "since Tuesday", "depuis deux jours", "all of my team".
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pycrfsuite

from nlu.data import EntitySpan, Example
from nlu.text import fold

_TOKEN = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
Features = list[str]


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    return [Token(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shape(word: str) -> str:
    if word.isdigit():
        return "digits"
    if any(c.isdigit() for c in word):
        return "mixed"
    if word.isupper() and len(word) > 1:
        return "upper"
    if word[:1].isupper():
        return "title"
    return "lower"


def _word_features(token: Token, word: str, prefix: str) -> Features:
    """`word` is the token's folded text."""
    return [
        f"{prefix}w={word}",
        f"{prefix}suf3={word[-3:]}",
        f"{prefix}pre3={word[:3]}",
        f"{prefix}shape={_shape(token.text)}",
    ]


def features(tokens: Sequence[Token]) -> list[Features]:
    words = [fold(token.text) for token in tokens]  # each token's once, not seven times
    rows = []
    for i, token in enumerate(tokens):
        word = words[i]
        row = ["bias", *_word_features(token, word, "")]
        row.append(f"suf2={word[-2:]}")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < len(tokens):
                neighbour = words[j]
                row.append(f"{offset}:w={neighbour}")
                if abs(offset) == 1:
                    row.append(f"{offset}:suf3={neighbour[-3:]}")
            else:
                row.append(f"{offset}:edge")
        if i > 0:
            row.append(f"bigram={words[i - 1]}|{word}")
        rows.append(row)
    return rows


def bio_tags(tokens: Sequence[Token], spans: Sequence[EntitySpan]) -> list[str]:
    tags = []
    for token in tokens:
        span = next((s for s in spans if s.start <= token.start and token.end <= s.end), None)
        if span is None:
            tags.append("O")
        else:
            inside = any(
                t.start >= span.start and t.end <= token.start for t in tokens if t is not token
            )
            tags.append(("I-" if inside else "B-") + span.entity)
    return tags


@dataclass(frozen=True)
class TaggedSpan:
    entity: str
    start: int
    end: int
    confidence: float


class CrfTagger:
    """Trained once from the examples; the model is kept as bytes so it pickles with the rest."""

    def __init__(self, model: bytes) -> None:
        self._model = model
        # One tagger per thread: a tagger keeps the last sequence it tagged, and parses run in
        # worker threads; shared, one thread's `marginal` read another's sequence (a 500 under
        # load, "position 4 is out of range of 4").
        self._taggers = threading.local()

    @classmethod
    def train(cls, examples: Sequence[Example], *, c1: float = 0.05, c2: float = 0.05) -> CrfTagger:
        trainer = pycrfsuite.Trainer(verbose=False)
        for example in examples:
            tokens = tokenize(example.text)
            if tokens:
                trainer.append(features(tokens), bio_tags(tokens, example.entities))
        trainer.set_params({"c1": c1, "c2": c2, "max_iterations": 120})
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "crf.model"
            trainer.train(str(path))
            return cls(path.read_bytes())

    def __getstate__(self) -> dict[str, bytes]:
        return {"model": self._model}

    def __setstate__(self, state: dict[str, bytes]) -> None:
        self._model, self._taggers = state["model"], threading.local()

    def _open(self) -> pycrfsuite.Tagger:
        tagger: pycrfsuite.Tagger | None = getattr(self._taggers, "tagger", None)
        if tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self._model)
            self._taggers.tagger = tagger
        return tagger

    def tag(self, text: str) -> list[TaggedSpan]:
        tokens = tokenize(text)
        if not tokens:
            return []
        tagger = self._open()
        labels = tagger.tag(features(tokens))
        spans: list[TaggedSpan] = []
        current: list[int] = []
        name = ""

        def close() -> None:
            if current:
                first, last = tokens[current[0]], tokens[current[-1]]
                confidence = min(tagger.marginal(labels[i], i) for i in current)
                spans.append(TaggedSpan(name, first.start, last.end, confidence))
            current.clear()

        for i, label in enumerate(labels):
            if label == "O":
                close()
                continue
            kind, entity = label.split("-", 1)
            if kind == "B" or entity != name:
                close()
                name = entity
            current.append(i)
        close()
        return spans
