"""Snippets with the words that matched the query marked, as safe HTML (`<mark>word</mark>`)."""

from __future__ import annotations

import html
import re
from collections.abc import Collection
from functools import lru_cache

from knowledge_index.lexical import stems_of
from knowledge_index.text import fold

_TOKEN = re.compile(r"\w+", re.UNICODE)
_MARKUP = re.compile(r"[*_`>#|]+")


@lru_cache(maxsize=100_000)
def _folded(word: str) -> str:
    return fold(word)


def _matches(word: str, stems: Collection[str], prefix: str | None) -> bool:
    folded = _folded(word)
    if len(folded) < 2:
        return False
    if prefix and len(prefix) >= 2 and folded.startswith(prefix):
        return True
    return not stems_of(folded).isdisjoint(stems)


def highlight(text: str, stems: Collection[str], prefix: str | None = None) -> str:
    """`text` HTML-escaped, with every word whose stem matched (or that begins with the word
    being typed) wrapped in `<mark>`."""
    stems = frozenset(stems)
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        if _matches(match.group(0), stems, prefix):
            out.append(html.escape(text[last : match.start()]))
            out.append(f"<mark>{html.escape(match.group(0))}</mark>")
            last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def snippet(text: str, stems: Collection[str], prefix: str | None = None, words: int = 24) -> str:
    """A window of `words` words around the first match, highlighted."""
    stems = frozenset(stems)
    parts = _MARKUP.sub("", text).split()
    first = next(
        (
            i
            for i, part in enumerate(parts)
            if any(_matches(t, stems, prefix) for t in _TOKEN.findall(part))
        ),
        0,
    )
    start = max(0, min(first - 4, len(parts) - words))
    window = " ".join(parts[start : start + words])
    return (
        ("… " if start > 0 else "")
        + highlight(window, stems, prefix)
        + (" …" if start + words < len(parts) else "")
    )
