"""Snippets with the words that matched the query marked, as safe HTML (`<mark>word</mark>`)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from functools import lru_cache
from itertools import compress
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


class _Scanned(NamedTuple):
    parts: list[str]  # the first SCANNED_WORDS words of a passage
    tokens: tuple[str, ...]  # their tokens, in order
    part_of: tuple[int, ...]  # the word each token is in


@lru_cache(maxsize=8192)
def _scanned(text: str) -> _Scanned:
    """A passage's words and tokens, split once: the same passages come back keystroke after
    keystroke. (Shared: read it, never change it.)"""
    parts = SPACES.split(_MARKUP.sub("", text).strip(), maxsplit=SCANNED_WORDS)[:SCANNED_WORDS]
    found = [(token, number) for number, part in enumerate(parts) for token in _TOKEN.findall(part)]
    return _Scanned(parts, tuple(t for t, _ in found), tuple(n for _, n in found))


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
    parts, tokens, part_of = _scanned(text)
    # the word of the first token to mark; tokens after it are not measured
    first = next(compress(part_of, map(matches.length, tokens)), 0)
    start = max(0, min(first - 4, len(parts) - words))
    window = " ".join(parts[start : start + words])
    more = start + words < len(parts) or len(parts) == SCANNED_WORDS
    return ("… " if start > 0 else "") + _marked(window, matches) + (" …" if more else "")
