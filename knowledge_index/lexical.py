"""A BM25 index over passages that copes with half-typed words, typos and missing accents.

Weights are computed once at build time ("eager" BM25): a query only adds rows of a sparse
term-by-passage matrix. Each query word becomes a *slot* whose alternatives are its English and
French stems, the words it begins (for the word being typed) and the words one or two edits
away (for typos); a passage scores the best alternative of each slot. `coverage` divides that
by the best any passage could score, so it says how much of the query a passage matches,
between 0 and 1, whatever the size of the collection.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.kernel.language import Language
from knowledge_index.query_shape import is_cue_word
from knowledge_index.text import LANGUAGES, STOP_WORDS, query_words, stem, words

K1, B = 1.2, 0.75
# A word being typed matches its completions almost fully, however short: "wi" could be many
# things, but which of them the popularity of each completion and the other words decide
# (round 5 of issue 19: a lower factor for one or two letters, 0.6, lost half-typed texts on
# the tune split, cross-validated).
PREFIX_FACTOR = 0.9
MAX_COMPLETIONS = 40
TYPO_FACTORS = {1: 0.85, 2: 0.6}
MIN_TYPO_LENGTH = 4
STOP_WORD_IMPORTANCE = 0.3
# What "not sure" reads (`service.Evidence`): a word that says how or what is asked rather than
# what about ("besoin", "demande", "souci", "impossible", "need", "issue": `query_shape`'s
# cues) counts this share of its weight. Such words are in most passages of their kind, so
# "demande de changer un cable" or "impossible d'acceder au reseau" looked well covered by
# entries that answer neither (round 7 of issue 19, tune cross-validated "not sure" AUC,
# French finished texts 0.852 to 0.858, half-typed 0.789 to 0.796; 0.3 and 0 did worse). The
# results shown keep the full weight: at 0.6 there, French half-typed top-1 fell.
EVIDENCE_CUE_IMPORTANCE = 0.6
# An unknown word of one or two letters is mostly a fragment ("th" left of "4th", "pp", the
# letter a cut text ends on): it counts this share of an unknown word's weight, so that it
# neither dilutes the query's coverage nor reads as an application the index does not know.
SHORT_UNKNOWN_IMPORTANCE = 0.3
SHORT_WORD = 3
# Entries whose best passage covers the query within this of the best passage's coverage are
# its rivals: a query many entries match equally well ("licenses", "access") is ambiguous.
RIVAL_MARGIN = 0.05

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]


@dataclass
class Slot:
    """One query word: the terms it may stand for, each with how much a match counts.

    `importance` is the BM25 weight of the word's likeliest reading, so rare words count more.
    """

    word: str
    alternatives: dict[int, float] = field(default_factory=dict)
    importance: float = 0.0

    def add(self, term: int, factor: float) -> None:
        if factor > self.alternatives.get(term, 0.0):
            self.alternatives[term] = factor


@dataclass(frozen=True)
class Grouping:
    """The group of each passage: what `match` needs to say how much of the query each group's
    passages cover together, and how many groups rival the best passage."""

    of_row: Ints
    groups: int

    def best(self, docs: npt.NDArray[np.int32], values: Floats) -> Floats:
        """Each group's largest value among `docs` (passages, repeats allowed) and zero for
        the groups without one: the cost is that of the passages the word matched."""
        found = np.zeros(self.groups, dtype=np.float32)
        np.maximum.at(found, self.of_row[docs], values)
        return found


@dataclass
class LexicalMatch:
    """Per-passage query coverage in [0, 1], and the stems that matched (for highlighting)."""

    coverage: Floats
    stems: set[str]
    completion: str | None  # the likeliest completion of the word being typed
    # The share of the query's weight in words the index does not know (found nowhere, or only
    # as a typo of another word): often an application the knowledge base never covers.
    unknown: float = 0.0
    # With a `Grouping`: how much of the query each group covers across all its passages (each
    # word counts its best match in any of them; the title row holds the tags), and how many
    # groups' best passage covers it within `RIVAL_MARGIN` of the best passage.
    group_coverage: Floats | None = None
    rivals: int = 0


class LexicalIndex:
    def __init__(
        self,
        *,
        terms: list[str],
        indptr: npt.NDArray[np.int64],
        indices: Ints,
        weights: Floats,
        surface: list[str],
        surface_ptr: npt.NDArray[np.int64],
        surface_terms: Ints,
        surface_df: Ints,
        documents: int,
    ) -> None:
        self.terms = terms
        self._term_ids = {t: i for i, t in enumerate(terms)}
        self._indptr, self._indices, self._weights = indptr, indices, weights
        self._term_max = np.zeros(len(terms), dtype=np.float32)
        used = np.diff(indptr) > 0
        if used.any():
            self._term_max[used] = np.maximum.reduceat(weights, indptr[:-1][used])
        self.surface = surface
        self._surface_ids = {w: i for i, w in enumerate(surface)}
        self._surface_ptr, self._surface_terms, self._surface_df = (
            surface_ptr,
            surface_terms,
            surface_df,
        )
        self.documents = documents
        # What a query word found nowhere would have weighed: a term in a single passage.
        idf = math.log(1 + (documents - 0.5) / 1.5) if documents else 1.0
        self._unknown_weight = float(idf * (K1 + 1) / (1 + K1))
        self._by_length: dict[int, list[str]] = {}

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        languages: Sequence[Language],
        progress: Callable[[int, int], None] | None = None,
    ) -> LexicalIndex:
        term_ids: dict[str, int] = {}
        surface_stems: dict[str, set[int]] = {}
        surface_docs: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[int] = []
        lengths = np.zeros(len(texts), dtype=np.float32)
        for doc, (text, language) in enumerate(zip(texts, languages, strict=True)):
            tf: dict[int, int] = {}
            seen: set[str] = set()
            for word in words(text):
                if word in STOP_WORDS:
                    continue
                term = term_ids.setdefault(stem(word, language), len(term_ids))
                tf[term] = tf.get(term, 0) + 1
                if word not in seen:
                    seen.add(word)
                    surface_stems.setdefault(word, set()).add(term)
                    surface_docs[word] = surface_docs.get(word, 0) + 1
            lengths[doc] = sum(tf.values())
            rows.extend(tf)
            cols.extend([doc] * len(tf))
            counts.extend(tf.values())
            if progress and (doc % 1000 == 0 or doc == len(texts) - 1):
                progress(doc + 1, len(texts))
        term_of = np.asarray(rows, dtype=np.int32)
        doc_of = np.asarray(cols, dtype=np.int32)
        tf_of = np.asarray(counts, dtype=np.float32)
        n = len(texts)
        df = np.bincount(term_of, minlength=len(term_ids)).astype(np.float32)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        average = float(lengths.mean()) if n else 1.0
        norm = K1 * (1 - B + B * lengths[doc_of] / max(average, 1e-6))
        weight = idf[term_of] * tf_of * (K1 + 1) / (tf_of + norm)
        order = np.lexsort((doc_of, term_of))
        indptr = np.zeros(len(term_ids) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=indptr[1:])
        surface = sorted(surface_stems)
        surface_ptr = np.zeros(len(surface) + 1, dtype=np.int64)
        flat: list[int] = []
        for i, word in enumerate(surface):
            flat.extend(sorted(surface_stems[word]))
            surface_ptr[i + 1] = len(flat)
        return cls(
            terms=sorted(term_ids, key=term_ids.__getitem__),
            indptr=indptr,
            indices=doc_of[order],
            weights=weight[order].astype(np.float32),
            surface=surface,
            surface_ptr=surface_ptr,
            surface_terms=np.asarray(flat, dtype=np.int32),
            surface_df=np.asarray([surface_docs[w] for w in surface], dtype=np.int32),
            documents=n,
        )

    def save(self, directory: Path) -> None:
        np.savez(
            directory / "lexical.npz",
            indptr=self._indptr,
            indices=self._indices,
            weights=self._weights,
            surface_ptr=self._surface_ptr,
            surface_terms=self._surface_terms,
            surface_df=self._surface_df,
        )
        (directory / "lexical.json").write_text(
            json.dumps({"terms": self.terms, "surface": self.surface, "documents": self.documents}),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        meta = json.loads((directory / "lexical.json").read_text("utf-8"))
        with np.load(directory / "lexical.npz") as arrays:
            return cls(
                terms=meta["terms"],
                surface=meta["surface"],
                documents=meta["documents"],
                indptr=arrays["indptr"],
                indices=arrays["indices"],
                weights=arrays["weights"],
                surface_ptr=arrays["surface_ptr"],
                surface_terms=arrays["surface_terms"],
                surface_df=arrays["surface_df"],
            )

    # -- querying ---------------------------------------------------------------------------

    @property
    def surface_words(self) -> dict[str, int]:
        """Every folded word of the passages, with its position in `surface`."""
        return self._surface_ids

    def begins_a_word(self, prefix: str) -> bool:
        start = bisect.bisect_left(self.surface, prefix)
        return start < len(self.surface) and self.surface[start].startswith(prefix)

    def passages_with(self, index: int) -> int:
        """How many passages hold the surface word at `index`."""
        return int(self._surface_df[index])

    def _surface_terms_of(self, index: int) -> Ints:
        return self._surface_terms[self._surface_ptr[index] : self._surface_ptr[index + 1]]

    def _completions(self, prefix: str) -> list[int]:
        """Surface words that begin with `prefix`, most frequent first."""
        start = bisect.bisect_left(self.surface, prefix)
        end = bisect.bisect_left(self.surface, prefix + "\uffff")
        found = range(start, end)
        if len(found) > MAX_COMPLETIONS:
            df = self._surface_df[start:end]
            best = np.argpartition(-df, MAX_COMPLETIONS)[:MAX_COMPLETIONS]
            return [start + int(i) for i in best[np.argsort(-df[best], kind="stable")]]
        return sorted(found, key=lambda i: -int(self._surface_df[i]))

    def _near(self, word: str, *, prefix: bool) -> list[tuple[int, int]]:
        """Surface words (or, for a prefix, their beginnings) one or two edits from `word`."""
        limit = 1 if len(word) < 8 else 2
        if prefix:
            choices: Sequence[str] = self._truncated(len(word))
        else:
            choices = self.surface
        found = process.extract(
            word, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=8
        )
        if not prefix:
            return [(int(index), int(distance)) for _, distance, index in found]
        near: list[tuple[int, int]] = []
        for beginning, distance, _ in found:
            near.extend((i, int(distance)) for i in self._completions(beginning)[:5])
        return near

    def _truncated(self, length: int) -> list[str]:
        if length not in self._by_length:
            self._by_length[length] = sorted({w[:length] for w in self.surface if len(w) >= length})
        return self._by_length[length]

    def slots(
        self, query: str, *, complete: bool = False, cue_importance: float = 1.0
    ) -> tuple[list[Slot], str | None]:
        """The query's words and what each may match; also the best completion being typed.

        Unless the query is `complete`, its last word may still be being typed. A finished word
        that is a cue of what is asked (`query_shape.is_cue_word`) counts `cue_importance` of
        its weight.
        """
        found, typing = query_words(query)
        cut_short = typing and complete  # a finished text may still end in a cut word
        typing = typing and not complete
        slots: list[Slot] = []
        completion = None
        for position, word in enumerate(found):
            slot = Slot(word)
            being_typed = typing and position == len(found) - 1
            for language in LANGUAGES:
                term = self._term_ids.get(stem(word, language))
                if term is not None:
                    slot.add(term, 1.0)
            exact = self._surface_ids.get(word)
            if exact is not None:
                for term in self._surface_terms_of(exact):
                    slot.add(int(term), 1.0)
            # A finished text's last word may have been cut short ("reset my passw", "acces
            # compte c", "aide maj w", whose "w" is also a stray word of some passage): read it
            # as the omnibox reads the word being typed, itself and the words it begins, even
            # when the index knows it as a word (round 6 of issue 19: before, only when it did
            # not).
            if cut_short and position == len(found) - 1:
                being_typed = bool(self._completions(word))
            # A word being typed of one or two letters is a fragment: it stands for the words
            # it begins (itself among them, by its frequency), not for the stray word it may
            # also be ("re", "w"), and the embedder reads the likeliest of them.
            fragment = being_typed and len(word) < SHORT_WORD
            if fragment:
                slot.alternatives.clear()
            if slot.alternatives:
                slot.importance = max(float(self._term_max[t]) for t in slot.alternatives)
            if being_typed:
                completions = self._completions(word)
                self._add_readings(slot, [(i, PREFIX_FACTOR) for i in completions])
                if word in STOP_WORDS:  # "ma" may become "mailbox", but may well stay "ma"
                    slot.importance *= STOP_WORD_IMPORTANCE
                if (exact is None or fragment) and completions:
                    completion = self.surface[completions[0]]
            if not slot.alternatives and len(word) >= MIN_TYPO_LENGTH and word.isalpha():
                near = self._near(word, prefix=being_typed)
                self._add_readings(slot, [(i, TYPO_FACTORS[d]) for i, d in near])
                if near and being_typed:
                    completion = self.surface[near[0][0]]
            if not slot.importance:
                slot.importance = self._unknown_weight
                if not slot.alternatives and len(word) < SHORT_WORD:
                    slot.importance *= SHORT_UNKNOWN_IMPORTANCE
            if cue_importance != 1.0 and not being_typed and is_cue_word(word):
                slot.importance *= cue_importance
            slots.append(slot)
        return slots, completion

    def _add_readings(self, slot: Slot, readings: list[tuple[int, float]]) -> None:
        """Add surface words as alternatives; less frequent ones count a little less."""
        if not readings:
            return
        top = max(int(self._surface_df[i]) for i, _ in readings)
        for index, factor in readings:
            popularity = 0.8 + 0.2 * int(self._surface_df[index]) / top
            for term in self._surface_terms_of(index):
                slot.add(int(term), factor * popularity)
        if not slot.importance:
            likeliest = max(readings, key=lambda r: (r[1], int(self._surface_df[r[0]])))[0]
            slot.importance = max(
                float(self._term_max[t]) for t in self._surface_terms_of(likeliest)
            )

    def match(
        self,
        query: str,
        *,
        complete: bool = False,
        grouping: Grouping | None = None,
        cue_importance: float = 1.0,
    ) -> LexicalMatch:
        slots, completion = self.slots(query, complete=complete, cue_importance=cue_importance)
        total = np.zeros(self.documents, dtype=np.float32)
        by_group = np.zeros(grouping.groups if grouping else 0, dtype=np.float32)
        importance = unknown = 0.0
        stems: set[str] = set()
        for slot in slots:
            importance += slot.importance
            # A word met only as a typo of another is mostly unknown ("oracle", "skype").
            unknown += slot.importance * (1 - max(slot.alternatives.values(), default=0.0))
            if not slot.alternatives:
                continue
            docs, scaled = self._postings(slot.alternatives)
            stems.update(self.terms[term] for term in slot.alternatives)
            # each passage's best alternative (a word being typed has up to 40 completions)
            best = np.zeros(self.documents, dtype=np.float32)
            np.maximum.at(best, docs, scaled)
            total += best * slot.importance
            if grouping is not None and docs.size:
                by_group += grouping.best(docs, best[docs]) * slot.importance
        coverage = total / importance if importance > 0 else total
        rivals = 0
        if grouping is not None and coverage.size and (top := float(coverage.max())) > 0:
            rivals = int(np.unique(grouping.of_row[coverage >= top - RIVAL_MARGIN]).size)
        return LexicalMatch(
            coverage=coverage,
            stems=stems,
            completion=completion,
            unknown=unknown / importance if importance > 0 else 0.0,
            group_coverage=(by_group / importance if importance > 0 else by_group)
            if grouping is not None
            else None,
            rivals=rivals,
        )

    def _postings(self, alternatives: dict[int, float]) -> tuple[Ints, Floats]:
        """The passages of all `alternatives` (term -> factor), one term after the other, each
        with its weight scaled by the term's factor over the term's largest weight."""
        terms = np.fromiter(alternatives, dtype=np.int64, count=len(alternatives))
        # the factor of each term as a float32, as it multiplied a term's weights on its own
        ratios = np.fromiter(
            (factor / max(self._term_max[term], 1e-6) for term, factor in alternatives.items()),
            dtype=np.float32,
            count=len(alternatives),
        )
        starts = self._indptr[terms]
        lengths = self._indptr[terms + 1] - starts
        ends = np.cumsum(lengths)
        at = np.arange(int(ends[-1]) if ends.size else 0) + np.repeat(
            starts - (ends - lengths), lengths
        )
        return self._indices[at], self._weights[at] * np.repeat(ratios, lengths)


@lru_cache(maxsize=50_000)
def stems_of(word: str) -> frozenset[str]:
    """Both stems of a folded word, to tell whether a word of a passage matched."""
    return frozenset(stem(word, language) for language in LANGUAGES)
