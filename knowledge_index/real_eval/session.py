"""A whole run: Guichet's search and omnibox served as on their first day, and the peers
loaded with the same entries as the index, then closed whatever happens."""

from __future__ import annotations

from collections.abc import Sequence

from knowledge_index.abstention import AbstentionModel, Sureness
from knowledge_index.peers import PEERS, PeerOptions, SearchPeer
from knowledge_index.real_eval.realset import RealQuery, Split
from knowledge_index.real_eval.run import Report, evaluate
from knowledge_index.real_eval.systems import (
    FirstDay,
    GuichetOmnibox,
    GuichetSearch,
    PeerSystem,
    System,
)
from knowledge_index.service import IndexedKnowledgeBase
from knowledge_index.suggest import SuggestionService


async def evaluate_with_peers(
    knowledge: IndexedKnowledgeBase,
    sets: dict[Split, list[RealQuery]],
    *,
    suggest_threshold: float,
    confidence_threshold: float,
    peers: Sequence[str] = (),
    options: PeerOptions | None = None,
) -> Report:
    """Every query through Guichet's search and omnibox and through each named peer."""
    first_day = FirstDay()
    service = SuggestionService(
        knowledge,
        first_day,
        first_day,
        suggest_threshold=suggest_threshold,
        sureness=Sureness(AbstentionModel.load(), confidence_threshold),
    )
    systems: list[System] = [GuichetSearch(service), GuichetOmnibox(service)]
    opened: list[SearchPeer] = []
    try:
        if peers:
            entries = list(knowledge.require().entries)
            for name in peers:
                peer = PEERS.get(name)(options or PeerOptions())
                opened.append(peer)
                await peer.load(entries)
                systems.append(PeerSystem(peer))
        return await evaluate(systems, sets)
    finally:
        for peer in opened:
            await peer.close()
