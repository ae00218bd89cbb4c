"""Snippets with the words that matched the query marked, as safe HTML (`<mark>word</mark>`)."""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from functools import lru_cache

from knowledge_index.lexical import stems_of
from knowledge_index.text import SPACES, STOP_WORDS, fold

_TOKEN = re.compile(r"\w+")
_MARKUP = re.compile(r"[*_`>#|]+")
SCANNED_WORDS = 200  # a match further down a long passage is not worth the time per keystroke


@lru_cache(maxsize=100_000)
def _folded(word: str) -> str:
    return fold(word)


class Matcher:
    """How much of a word to mark: the typed part when it begins with the word being typed ("pa"
    marks "<mark>pa</mark>ssword"), all of it when its stem is one the query matched, nothing
    for a stop word ("pa" does not mark "pas": the user is not looking for it). Remembers its
    answers for the words of one request: share one between the entries of a request (their
    passages repeat many words; 1.9 million words measured for 5,770 keystrokes otherwise)."""

    def __init__(self, stems: Collection[str], prefix: str | None) -> None:
        self._stems = frozenset(stems)
        self._prefix = prefix if prefix and len(prefix) >= 2 else None
        self._seen: dict[str, int] = {}

    def __call__(self, word: str) -> int:
        """The number of leading characters of `word` to mark (0: none)."""
        found = self._seen.get(word)
        if found is None:
            found = self._measure(word)
            self._seen[word] = found
        return found

    def _measure(self, word: str) -> int:
        folded = _folded(word)
        if len(folded) < 2 or folded in STOP_WORDS:
            return 0
        if self._prefix is not None and folded.startswith(self._prefix):
            # Only what was typed: the search's completions of it are guesses, not matches.
            # Folding keeps one character per letter for Latin text; otherwise mark it all.
            return len(self._prefix) if len(folded) == len(word) else len(word)
        if not stems_of(folded).isdisjoint(self._stems):
            return len(word)
        return 0


def _marked(text: str, matches: Matcher) -> str:
    out: list[str] = []
    last = 0
    for token in _TOKEN.finditer(text):
        length = matches(token.group(0))
        if length:
            end = token.start() + length
            out.append(html.escape(text[last : token.start()]))
            out.append(f"<mark>{html.escape(text[token.start() : end])}</mark>")
            last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def highlight(
    text: str, stems: Collection[str], prefix: str | None = None, *, matcher: Matcher | None = None
) -> str:
    """`text` HTML-escaped, with every word whose stem matched wrapped in `<mark>`, and the
    typed part of the words that begin with the word being typed; stop words never."""
    return _marked(text, matcher or Matcher(stems, prefix))


@lru_cache(maxsize=8192)
def _scanned(text: str) -> tuple[list[str], tuple[tuple[str, ...], ...]]:
    """The first SCANNED_WORDS words of a passage, and the tokens of each: the same passages
    come back keystroke after keystroke. (The list is shared: read it, never change it.)"""
    parts = SPACES.split(_MARKUP.sub("", text).strip(), maxsplit=SCANNED_WORDS)[:SCANNED_WORDS]
    return parts, tuple(tuple(_TOKEN.findall(part)) for part in parts)


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
    parts, tokens = _scanned(text)
    first = next((i for i, words_of in enumerate(tokens) if any(map(matches, words_of))), 0)
    start = max(0, min(first - 4, len(parts) - words))
    window = " ".join(parts[start : start + words])
    more = start + words < len(parts) or len(parts) == SCANNED_WORDS
    return ("… " if start > 0 else "") + _marked(window, matches) + (" …" if more else "")
