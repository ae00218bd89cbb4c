"""What is evaluated, behind one small interface: Guichet's search and omnibox, each through
the same service call as its HTTP route (cut-offs, grouping and all), and the search peers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from bot.kernel.errors import InvalidRequest
from bot.kernel.feedback import Signals
from bot.kernel.language import Language
from bot.kernel.notices import Notice
from knowledge_index.index import SearchQuery
from knowledge_index.peers import SearchPeer
from knowledge_index.suggest import SuggestionService

DEPTH = 10  # MRR@10; also what POST /api/v1/search returns by default
OMNIBOX_LIMIT = 8  # what the omnibox asks GET /api/v1/suggest for (its default)
FALLBACKS = frozenset({"create_ticket", "chat_agent"})

Kind = Literal["guichet", "peer"]


@dataclass(frozen=True)
class Answer:
    """Groups shown, best first; how sure it is that the first answers (Guichet's calibrated
    `confidence`; a peer's own best score); whether it said "not sure" (None: a peer, which
    cannot say); `refused` when the service answered 4xx (too long a text)."""

    groups: list[str]
    sureness: float
    abstained: bool | None
    refused: bool = False


class System(Protocol):
    """Something that answers a labelled query's text in its language."""

    name: str
    kind: Kind

    async def answer(self, text: str, language: Language) -> Answer: ...


@dataclass
class FirstDay:
    """The feedback and notice stores of a service on its first day: no votes, no clicks, no
    notices; the unanswered questions it records are kept here for whoever wants them."""

    gaps: list[str] = field(default_factory=list)

    async def signals(self) -> Signals:
        return Signals()

    async def active(self) -> list[Notice]:
        return []

    async def record_click(
        self, *, query_key: str, language: str, group: str, entry_type: str, position: int
    ) -> None:
        return None

    async def record_vote(
        self,
        *,
        query_key: str,
        language: str,
        group: str,
        helpful: bool,
        conversation_id: str | None = None,
    ) -> None:
        return None

    async def record_gap(
        self, *, query_key: str, query: str, language: str, best_score: float
    ) -> None:
        self.gaps.append(query)


class GuichetSearch:
    """`POST /api/v1/search` with its defaults: results under the suggestion threshold left
    out, "not sure" when its `confidence` is under the confidence threshold."""

    name = "guichet search"
    kind: Kind = "guichet"

    def __init__(self, service: SuggestionService) -> None:
        self._service = service

    async def answer(self, text: str, language: Language) -> Answer:
        try:
            found = await self._service.search(SearchQuery(text, language, limit=DEPTH))
        except InvalidRequest:
            return Answer([], 0.0, abstained=True, refused=True)
        groups = [r.group for r in found.results]
        return Answer(groups, found.confidence, abstained=not found.confident)


class GuichetOmnibox:
    """`GET /api/v1/suggest` as the omnibox calls it: entries best first; "not sure" is its
    `confident` flag being false (the entries are shown all the same)."""

    name = "guichet omnibox"
    kind: Kind = "guichet"

    def __init__(self, service: SuggestionService) -> None:
        self._service = service

    async def answer(self, text: str, language: Language) -> Answer:
        try:
            found = await self._service.suggest(text, language=language, limit=OMNIBOX_LIMIT)
        except InvalidRequest:
            return Answer([], 0.0, abstained=True, refused=True)
        entries = [s for s in found.suggestions if s.type not in FALLBACKS and s.group]
        groups = [s.group for s in entries if s.group is not None]
        return Answer(groups, found.confidence, abstained=not found.confident)


class PeerSystem:
    """A search peer; its own best score stands for its confidence."""

    kind: Kind = "peer"

    def __init__(self, peer: SearchPeer) -> None:
        self._peer = peer
        self.name = peer.name

    async def answer(self, text: str, language: Language) -> Answer:
        found = await self._peer.search(text, language, limit=DEPTH)
        return Answer([r.group for r in found], found[0].score if found else 0.0, abstained=None)
