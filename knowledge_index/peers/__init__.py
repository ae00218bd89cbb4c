"""The search peers, by name: `PEERS.get("bm25s")(PeerOptions())`."""

from __future__ import annotations

from collections.abc import Callable

from bot.kernel.registry import Registry
from knowledge_index.peers.base import (
    PeerOptions,
    PeerUnavailable,
    Ranked,
    SearchPeer,
    entry_text,
)
from knowledge_index.peers.bm25 import Bm25s
from knowledge_index.peers.postgres_fts import PostgresFullText

PEERS: Registry[Callable[[PeerOptions], SearchPeer]] = Registry("search peer")
PEERS.register(PostgresFullText.name, PostgresFullText)
PEERS.register(Bm25s.name, Bm25s)

__all__ = ["PEERS", "PeerOptions", "PeerUnavailable", "Ranked", "SearchPeer", "entry_text"]
