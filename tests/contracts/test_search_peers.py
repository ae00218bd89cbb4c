"""Every search peer of the evaluation keeps the `SearchPeer` contract, over a few entries."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import psycopg
import pytest

from bot.kernel.language import Language
from knowledge_index.documents import Entry
from knowledge_index.peers import PEERS, PeerOptions, PeerUnavailable, SearchPeer

POSTGRES = os.environ.get("GUICHET_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
PEER_NAMES = [
    pytest.param("postgres-fts", marks=pytest.mark.integration),
    pytest.param("bm25s", marks=pytest.mark.unit),
]


def _entry(group: str, language: Language, title: str, body: str, tags: list[str]) -> Entry:
    return Entry(
        id=f"{language}-{group}",
        group=group,
        title=title,
        language=language,
        type="procedure",
        category="test",
        tags=tags,
        url=f"/kb/{language}/{group}",
        body=body,
    )


ENTRIES = [
    _entry("outlook-crash", "en", "Outlook crashes at startup", "Start Outlook in safe mode.", []),
    _entry(
        "outlook-crash", "fr", "Outlook plante au démarrage", "Démarrer en mode sans échec.", []
    ),
    _entry("screen", "en", "External screen stays black", "Check the dock cable.", ["monitor"]),
    _entry("screen", "fr", "L'écran externe reste noir", "Vérifier le câble du dock.", ["écran"]),
    _entry("printer", "en", "Add a printer", "Open Settings, then Printers.", ["print"]),
    _entry("printer", "fr", "Ajouter une imprimante", "Ouvrir Paramètres, Imprimantes.", []),
    # In English only: a French search falls back to it, as Guichet does.
    _entry("sap-access", "en", "Access to SAP", "Request a SAP role from your manager.", []),
]


@pytest.fixture(params=PEER_NAMES)
async def peer(request: pytest.FixtureRequest) -> AsyncIterator[SearchPeer]:
    loaded = PEERS.get(request.param)(PeerOptions(postgres_url=POSTGRES))
    await loaded.load(ENTRIES)
    try:
        yield loaded
    finally:
        await loaded.close()


async def test_the_entry_with_the_typed_words_comes_first(peer: SearchPeer) -> None:
    found = await peer.search("outlook crashes every morning", "en", limit=5)
    assert found[0].group == "outlook-crash"
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)


async def test_accents_left_out_still_match(peer: SearchPeer) -> None:
    found = await peer.search("ecran noir", "fr", limit=5)
    assert found and found[0].group == "screen"


async def test_words_are_or_ed_not_and_ed(peer: SearchPeer) -> None:
    found = await peer.search("imprimante introuvable zorglub", "fr", limit=5)
    assert [r.group for r in found][:1] == ["printer"]


async def test_a_group_without_translation_is_found_in_the_other_language(
    peer: SearchPeer,
) -> None:
    found = await peer.search("acces sap", "fr", limit=5)
    assert [r.group for r in found][:1] == ["sap-access"]


async def test_each_group_once_and_no_more_than_the_limit(peer: SearchPeer) -> None:
    found = await peer.search("outlook screen printer sap", "en", limit=2)
    assert len(found) == 2
    assert len({r.group for r in found}) == 2


async def test_unknown_words_and_stop_words_find_nothing(peer: SearchPeer) -> None:
    assert await peer.search("zorglub blorp", "en", limit=5) == []
    assert await peer.search("the and of", "en", limit=5) == []
    assert await peer.search("?!", "fr", limit=5) == []


def test_a_duplicate_peer_name_is_refused() -> None:
    from bot.kernel.registry import DuplicatePlugin

    with pytest.raises(DuplicatePlugin):
        PEERS.register("bm25s", PEERS.get("bm25s"))


@pytest.mark.integration
async def test_the_postgres_peer_drops_its_schema_when_closed() -> None:
    peer = PEERS.get("postgres-fts")(PeerOptions(postgres_url=POSTGRES))
    await peer.load(ENTRIES)
    schemas = "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'guichet_eval_%'"
    async with await psycopg.AsyncConnection.connect(POSTGRES) as db:
        during = {row[0] for row in await (await db.execute(schemas)).fetchall()}
    await peer.close()
    async with await psycopg.AsyncConnection.connect(POSTGRES) as db:
        after = {row[0] for row in await (await db.execute(schemas)).fetchall()}
    assert during - after and not (during - after) & after


@pytest.mark.integration
async def test_an_unreachable_database_says_so() -> None:
    peer = PEERS.get("postgres-fts")(
        PeerOptions(postgres_url="postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
    )
    with pytest.raises(PeerUnavailable, match="postgres-fts"):
        await peer.load(ENTRIES)
    await peer.close()


@pytest.mark.unit
async def test_a_search_before_loading_is_refused() -> None:
    for name in PEERS:
        with pytest.raises(PeerUnavailable, match="before load"):
            await PEERS.get(name)(PeerOptions(postgres_url=POSTGRES)).search("x", "en", limit=1)
