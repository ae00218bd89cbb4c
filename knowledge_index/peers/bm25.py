"""bm25s: BM25 over sparse matrices, a Snowball stemmer and stop words per language, accents
folded as employees leave them out — the library a Python team would reach for.

`bm25s` is an evaluation-only dependency (the `eval` extra), imported when a peer loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import Stemmer

from bot.kernel.language import Language
from knowledge_index.documents import Entry
from knowledge_index.peers.base import (
    PeerOptions,
    PeerUnavailable,
    Ranked,
    best_per_group,
    documents_per_language,
    entry_text,
)
from knowledge_index.text import fold

STEMMERS: dict[Language, str] = {"en": "english", "fr": "french"}


def _stopwords(language: Language) -> list[str]:
    from bm25s import stopwords

    listed: list[str] = stopwords.STOPWORDS_FRENCH if language == "fr" else stopwords.STOPWORDS_EN
    return sorted({fold(w) for w in listed})


class _LanguageIndex:
    def __init__(self, language: Language, documents: Sequence[Entry]) -> None:
        import bm25s

        self.groups = [e.group for e in documents]
        self.stemmer = Stemmer.Stemmer(STEMMERS[language])
        self.stopwords = _stopwords(language)
        self.retriever: Any = bm25s.BM25()
        tokens = self._tokens([entry_text(e) for e in documents])
        self.retriever.index(tokens, show_progress=False)

    def _tokens(self, texts: list[str]) -> Any:
        import bm25s

        return bm25s.tokenize(
            [fold(t) for t in texts],
            stopwords=self.stopwords,
            stemmer=self.stemmer,
            show_progress=False,
        )

    def search(self, text: str, limit: int) -> list[Ranked]:
        import bm25s

        tokens = bm25s.tokenize(
            [fold(text)],
            stopwords=self.stopwords,
            stemmer=self.stemmer,
            show_progress=False,
            return_ids=False,
        )
        vocabulary = self.retriever.vocab_dict
        known = [[w for w in tokens[0] if w in vocabulary]]
        if not known[0]:
            return []
        k = min(len(self.groups), limit * 3)
        rows, scores = self.retriever.retrieve(known, k=k, show_progress=False, n_threads=1)
        found = [
            Ranked(self.groups[int(row)], float(score))
            for row, score in zip(rows[0], scores[0], strict=True)
            if score > 0
        ]
        return best_per_group(found, limit)


class Bm25s:
    """The `SearchPeer` of bm25s."""

    name = "bm25s"

    def __init__(self, options: PeerOptions) -> None:
        del options  # nothing to reach: the index is in memory
        self._indexes: dict[Language, _LanguageIndex] = {}

    async def load(self, entries: Sequence[Entry]) -> None:
        try:
            import bm25s  # noqa: F401
        except ImportError as exc:
            raise PeerUnavailable(
                peer=self.name, reason="bm25s is not installed (pip install -e '.[eval]')"
            ) from exc
        self._indexes = {
            language: _LanguageIndex(language, documents)
            for language, documents in documents_per_language(entries).items()
        }

    async def search(self, text: str, language: Language, *, limit: int) -> list[Ranked]:
        index = self._indexes.get(language)
        if index is None:
            raise PeerUnavailable(peer=self.name, reason="search before load")
        return index.search(text, limit)

    async def close(self) -> None:
        self._indexes = {}
