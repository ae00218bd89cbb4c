"""Snippets with the words that matched the query marked, as safe HTML (`<mark>word</mark>`)."""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable, Collection
from functools import lru_cache
from typing import NamedTuple

from knowledge_index.lexical import stems_of
from knowledge_index.text import SPACES, STOP_WORDS, fold

_TOKEN = re.compile(r"\w+")
_SPLIT = re.compile(r"(\w+)")
_MARKUP = re.compile(r"[*_`>#|]+")
SCANNED_WORDS = 200  # a match further down a long passage is not worth the time per keystroke


class _Word(NamedTuple):
    """What marking a word needs to know of it, whatever the query (kept across requests)."""

    folded: str
    markable: bool  # two letters or more, not a stop word
    same_length: bool  # folding kept one character per letter
    stems: frozenset[str]


@lru_cache(maxsize=100_000)
def _word(word: str) -> _Word:
    folded = fold(word)
    markable = len(folded) >= 2 and folded not in STOP_WORDS
    stems = stems_of(folded) if markable else frozenset()
    return _Word(folded, markable, len(folded) == len(word), stems)


class _Lengths(dict[str, int]):
    """Word -> characters to mark, measured on first use; then a plain dictionary read."""

    def __init__(self, measure: Callable[[str], int]) -> None:
        super().__init__()
        self._measure = measure

    def __missing__(self, word: str) -> int:
        length = self[word] = self._measure(word)
        return length


class Matcher:
    """How much of a word to mark: the typed part when it begins with the word being typed ("pa"
    marks "<mark>pa</mark>ssword"), all of it when its stem is one the query matched, nothing
    for a stop word ("pa" does not mark "pas": the user is not looking for it). Remembers its
    answers for the words of one request: share one between the entries of a request (their
    passages repeat many words; 1.9 million words measured for 5,770 keystrokes otherwise)."""

    def __init__(self, stems: Collection[str], prefix: str | None) -> None:
        self._stems = frozenset(stems)
        self._prefix = prefix if prefix and len(prefix) >= 2 else None
        # `length(word)`: the number of leading characters of `word` to mark (0: none)
        self.length: Callable[[str], int] = _Lengths(self._measure).__getitem__

    def __call__(self, word: str) -> int:
        """The number of leading characters of `word` to mark (0: none)."""
        return self.length(word)

    def first_marked(self, scanned: _Scanned) -> int | None:
        """The position of the first of a passage's tokens this matcher marks, None if none:
        what measuring its tokens one by one finds, from the passage's index of them (a
        passage without a match costed a measure per token, up to its 200 words)."""
        found = [at for s in self._stems if (at := scanned.first_of_stem.get(s)) is not None]
        if self._prefix is not None:
            begins = scanned.markable_text.find(_SEPARATOR + self._prefix)
            if begins >= 0:
                found.append(scanned.markable_at[bisect_right(scanned.markable_from, begins) - 1])
        return min(found) if found else None

    def _measure(self, word: str) -> int:
        facts = _word(word)
        if not facts.markable:
            return 0
        if self._prefix is not None and facts.folded.startswith(self._prefix):
            # Only what was typed: the search's completions of it are guesses, not matches.
            # Folding keeps one character per letter for Latin text; otherwise mark it all.
            return len(self._prefix) if facts.same_length else len(word)
        if not facts.stems.isdisjoint(self._stems):
            return len(word)
        return 0


def _marked(text: str, matches: Matcher) -> str:
    # [between, word, between, word, ..., between]: the words measured in one pass (C loops),
    # the text between marks escaped in one piece (escaping is character by character)
    pieces = _SPLIT.split(text)
    lengths = list(map(matches.length, pieces[1::2]))
    out: list[str] = []
    start, tail = 0, ""
    for word, length in enumerate(lengths):
        if length:
            at = 2 * word + 1
            out.append(html.escape(tail + "".join(pieces[start:at])))
            out.append(f"<mark>{html.escape(pieces[at][:length])}</mark>")
            start, tail = at + 1, pieces[at][length:]
    out.append(html.escape(tail + "".join(pieces[start:])))
    return "".join(out)


def highlight(
    text: str, stems: Collection[str], prefix: str | None = None, *, matcher: Matcher | None = None
) -> str:
    """`text` HTML-escaped, with every word whose stem matched wrapped in `<mark>`, and the
    typed part of the words that begin with the word being typed; stop words never."""
    return _marked(text, matcher or Matcher(stems, prefix))


_SEPARATOR = "\x00"  # in no folded token (tokens are \w+)


class _Scanned(NamedTuple):
    parts: list[str]  # the first SCANNED_WORDS words of a passage
    tokens: tuple[str, ...]  # their tokens, in order
    part_of: tuple[int, ...]  # the word each token is in
    # Where a matcher marks first, without measuring each token (`Matcher.first_marked`):
    first_of_stem: dict[str, int]  # a stem -> the first markable token having it
    markable_text: str  # the markable tokens folded, each after a separator
    markable_from: tuple[int, ...]  # where each of them starts in `markable_text`
    markable_at: tuple[int, ...]  # the position of each of them among the tokens


@lru_cache(maxsize=8192)
def _scanned(text: str) -> _Scanned:
    """A passage's words and tokens, split once: the same passages come back keystroke after
    keystroke. (Shared: read it, never change it.)"""
    parts = SPACES.split(_MARKUP.sub("", text).strip(), maxsplit=SCANNED_WORDS)[:SCANNED_WORDS]
    found = [(token, number) for number, part in enumerate(parts) for token in _TOKEN.findall(part)]
    tokens = tuple(t for t, _ in found)
    first_of_stem: dict[str, int] = {}
    folded: list[str] = []
    starts: list[int] = []
    positions: list[int] = []
    offset = 0
    for position, token in enumerate(tokens):
        facts = _word(token)
        if not facts.markable:
            continue
        for stem in facts.stems:
            first_of_stem.setdefault(stem, position)
        folded.append(facts.folded)
        starts.append(offset)
        positions.append(position)
        offset += len(_SEPARATOR) + len(facts.folded)
    return _Scanned(
        parts,
        tokens,
        tuple(n for _, n in found),
        first_of_stem,
        "".join(_SEPARATOR + f for f in folded),
        tuple(starts),
        tuple(positions),
    )


def snippet(
    text: str,
    stems: Collection[str],
    prefix: str | None = None,
    words: int = 24,
    *,
    matcher: Matcher | None = None,
) -> str:
    """A window of `words` words around the first match, highlighted."""
    matches = matcher or Matcher(stems, prefix)
    scanned = _scanned(text)
    parts = scanned.parts
    # the word of the first token to mark
    marked = matches.first_marked(scanned)
    first = 0 if marked is None else scanned.part_of[marked]
    start = max(0, min(first - 4, len(parts) - words))
    window = " ".join(parts[start : start + words])
    more = start + words < len(parts) or len(parts) == SCANNED_WORDS
    return ("… " if start > 0 else "") + _marked(window, matches) + (" …" if more else "")
