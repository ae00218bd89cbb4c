"""The search engines Guichet is measured against (`guichet eval search --set real`).

A peer indexes the same entries as Guichet (title, tags and body, per language) and answers a
query with entry groups, best first, each with the peer's own score. Peers are for evaluation
only: nothing in the service uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.kernel.errors import GuichetError
from bot.kernel.language import Language
from knowledge_index.documents import Entry
from knowledge_index.text import LANGUAGES


class PeerUnavailable(GuichetError):
    message = "search peer {peer} cannot run: {reason}"


@dataclass(frozen=True)
class Ranked:
    """One entry group a peer found, with the peer's own score (higher is better)."""

    group: str
    score: float


@dataclass(frozen=True)
class PeerOptions:
    """What a peer may need to start: the PostgreSQL database of the full-text peer."""

    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/test"


class SearchPeer(Protocol):
    """A search engine over the knowledge base's entries, as a team might deploy it instead.

    `load` indexes the entries once (per language: the documents of a language are its entries
    and the entries that exist only in the other language, as Guichet falls back to them);
    `search` returns at most `limit` distinct groups, best first, with scores on the peer's own
    scale (a query that finds nothing returns no group); `close` frees what `load` took
    (tables, memory). Used as an async context manager by the evaluation.
    """

    name: str

    async def load(self, entries: Sequence[Entry]) -> None: ...

    async def search(self, text: str, language: Language, *, limit: int) -> list[Ranked]: ...

    async def close(self) -> None: ...


def entry_text(entry: Entry) -> str:
    """What a peer indexes of an entry: its title, tags and body (a known error's body already
    holds its symptom, cause and workaround), as Guichet's word index does."""
    return "\n".join([entry.title, " ".join(entry.tags), entry.body])


def documents_per_language(entries: Sequence[Entry]) -> dict[Language, list[Entry]]:
    """Each language's entries, plus the other language's where a group has no translation."""
    languages: dict[str, set[Language]] = {}
    for entry in entries:
        languages.setdefault(entry.group, set()).add(entry.language)
    return {
        language: [
            e for e in entries if e.language == language or language not in languages[e.group]
        ]
        for language in LANGUAGES
    }


def best_per_group(found: Sequence[Ranked], limit: int) -> list[Ranked]:
    """The first (best) hit of each group, at most `limit` of them."""
    seen: set[str] = set()
    kept: list[Ranked] = []
    for hit in found:
        if hit.group not in seen:
            seen.add(hit.group)
            kept.append(hit)
    return kept[:limit]
