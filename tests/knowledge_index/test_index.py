"""The faiss knowledge index: search quality across languages, persistence, safety."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.kernel.errors import IndexMismatch, NotReady
from bot.services import Components
from knowledge_index.documents import Entry
from knowledge_index.index import LEXICAL_WEIGHT, KnowledgeIndex, SearchQuery

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("query", "language", "url"),
    [
        ("how do I reset my password", "en", "/kb/en/reset-password"),
        ("mot de passe oublié", "fr", "/kb/fr/reset-password"),
        ("Outlook closes right after opening", "en", "/kb/en/outlook-crash-startup"),
        (
            "mes impressions restent bloquées dans la file d'attente",
            "fr",
            "/kb/fr/printer-jobs-stuck",
        ),
        ("écran noir sur la station d'accueil après la veille", "fr", "/kb/fr/laptop-dock-screens"),
        ("BitLocker asks for a recovery key", "en", "/kb/en/bitlocker-recovery"),
        # asked in one language, answered with the article in the user's language
        ("I lost my phone with the authenticator app", "fr", "/kb/fr/mfa-new-phone"),
    ],
)
async def test_search_finds_the_article(
    components: Components, query: str, language: str, url: str
) -> None:
    hits = await components.knowledge.search(
        SearchQuery(
            query,
            language,  # type: ignore[arg-type]
            limit=3,
            types=["procedure", "faq", "known_error"],
        )
    )
    assert url in [hit.entry.url for hit in hits], [(h.entry.url, h.score) for h in hits]
    assert all(hit.entry.language == language for hit in hits)
    assert hits == sorted(hits, key=lambda h: h.relevance, reverse=True)  # the re-ranker's order


async def test_catalog_items_are_searchable(components: Components) -> None:
    hits = await components.knowledge.search(
        SearchQuery("casque sans fil", "fr", limit=3, types=["catalog_item"])
    )
    assert hits[0].entry.type == "catalog_item" and "asque" in hits[0].entry.title


async def test_a_hit_says_how_much_of_the_query_its_whole_entry_covers(
    components: Components,
) -> None:
    hits = await components.knowledge.search(SearchQuery("casque sans fil", "fr", limit=3))
    first = hits[0]
    assert first.entry_coverage >= first.lexical - 1e-6  # every passage, not only the best one
    assert 0.0 < first.entry_coverage <= 1.0 + 1e-6


def _entries() -> list[Entry]:
    return [
        Entry(
            id=f"en-{i}",
            group=str(i),
            title=title,
            language="en",
            type="faq",
            category="network",
            tags=[],
            url=f"/kb/en/{i}",
            body=body,
        )
        for i, (title, body) in enumerate(
            [
                ("Wi-Fi", "Connect to the corporate wireless network."),
                ("Printer", "Add the FollowMe printer queue."),
            ]
        )
    ]


def test_save_load_round_trip_and_atomic_swap(components: Components, tmp_path: Path) -> None:
    directory = tmp_path / "index"
    first = KnowledgeIndex.build(_entries(), components.embedder)
    first.save(directory)
    loaded = KnowledgeIndex.load(directory, components.embedder)
    assert loaded.manifest == first.manifest
    query = components.embedder.embed(["wireless network"])[0]
    assert loaded.search(SearchQuery("wireless network", "en"), query)[0].entry.title == "Wi-Fi"
    second = KnowledgeIndex.build(_entries()[:1], components.embedder)
    second.save(directory)
    assert KnowledgeIndex.load(directory, components.embedder).manifest.entries == 1
    # The link, the new version and the one before (for processes still switching to the new).
    assert len(list(tmp_path.iterdir())) == 3
    KnowledgeIndex.build(_entries()[:2], components.embedder).save(directory)
    assert KnowledgeIndex.load(directory, components.embedder).manifest.entries == 2
    assert len(list(tmp_path.iterdir())) == 3  # the oldest is gone


class _OtherEmbedder:
    name = "other-model"
    dimension = 8

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 8), dtype=np.float32) / np.sqrt(8)


def test_refuses_an_index_built_with_another_embedder(
    components: Components, tmp_path: Path
) -> None:
    KnowledgeIndex.build(_entries(), components.embedder).save(tmp_path / "index")
    with pytest.raises(IndexMismatch) as caught:
        KnowledgeIndex.load(tmp_path / "index", _OtherEmbedder())
    assert "use-multilingual" in str(caught.value) and "guichet index build" in str(caught.value)
    with pytest.raises(NotReady, match="guichet index build"):
        KnowledgeIndex.load(tmp_path / "nothing", components.embedder)


def _one_passage_at_a_time(
    index: KnowledgeIndex, query: SearchQuery, vector: np.ndarray | None
) -> list[tuple[str, float, float, float]]:
    """The search's ranking as it was written before its arrays: a loop over the candidates."""
    cosine: dict[int, float] = {}
    if vector is not None:
        scores, ids = index.dense.search(vector, min(len(index.passages), 100))
        cosine = {int(i): float(s) for s, i in zip(scores, ids, strict=True) if i >= 0}
    floor = min(cosine.values(), default=0.0)
    match = index.lexical.match(query.text, complete=query.complete)
    coverage = match.coverage
    top = min(100, int(np.count_nonzero(coverage)))
    lexical_ids = np.argpartition(-coverage, top - 1)[:top] if top else np.array([], int)
    best: dict[str, tuple[float, int]] = {}
    for row in set(cosine) | {int(i) for i in lexical_ids}:
        number = int(index.passages.entry[row])
        if query.types and index.entries.type_of(number) not in query.types:
            continue
        score = (1 - LEXICAL_WEIGHT) * cosine.get(row, floor) + LEXICAL_WEIGHT * float(
            coverage[row]
        )
        score += (query.type_shifts or {}).get(index.entries.type_of(number), 0.0)
        group = index.entries.group_of(number)
        if group not in best or score > best[group][0]:
            best[group] = (score, row)
    best = {g: (s + (query.boosts or {}).get(g, 0.0), r) for g, (s, r) in best.items()}
    ranked = sorted(best.values(), key=lambda sr: sr[0], reverse=True)[: query.limit]
    return [
        (
            index.entries.group_of(int(index.passages.entry[r])),
            s,
            cosine.get(r, floor),
            float(coverage[r]),
        )
        for s, r in ranked
    ]


@pytest.mark.parametrize("text", ["vp", "ou", "mot de pa", "printer jobs stu", "écran noir"])
def test_the_ranking_is_the_one_passage_at_a_time_loops(components: Components, text: str) -> None:
    """Equal scores (two letters typed: words alone) rank as the loop met them, every float the
    same: arrays changed the cost of a search, not its answers (the fused order, which the
    re-ranker then reorders at the top)."""
    index = components.knowledge.require()
    vector = components.knowledge.vectors(text) if len(text) >= 3 else None
    for query in (
        SearchQuery(text, "en", limit=50, complete=False),
        SearchQuery(
            text,
            "fr",
            limit=8,
            complete=False,
            types=("faq", "procedure", "known_error"),
            boosts={index.entries.group_names[0]: 0.07, index.entries.group_names[3]: -0.05},
            type_shifts={"catalog_item": 0.04, "known_error": -0.02},
        ),
    ):
        expected = _one_passage_at_a_time(index, query, vector)
        found = index.candidates(query, vector, depth=query.limit)  # fused order, not re-ranked
        assert found is not None
        _, candidates, _ = found
        fused = zip(
            candidates.groups,
            candidates.fused.tolist(),
            candidates.dense.tolist(),
            candidates.lexical.tolist(),
            strict=True,
        )
        assert list(fused) == expected


class _Unread:
    """Stands for `vectors.npy`: fails if a search reads it."""

    def __getitem__(self, rows: object) -> np.ndarray:
        raise AssertionError("a search read vectors.npy")


def test_a_search_reads_the_vector_index_not_the_saved_vectors(
    components: Components, tmp_path: Path
) -> None:
    """Serving keeps `vectors.npy` (kept for updates) out of memory: 200 MB of title rows at
    100,000 entries were mapped in when each search read its candidates' title vectors there."""
    KnowledgeIndex.build(_entries(), components.embedder).save(tmp_path / "index")
    index = KnowledgeIndex.load(tmp_path / "index", components.embedder)
    expected = index.search(SearchQuery("wireless network", "en"), _vector(components))
    index.vectors = _Unread()  # type: ignore[assignment]
    hits = index.search(SearchQuery("wireless network", "en"), _vector(components))
    assert [(h.entry.id, h.title_cosine) for h in hits] == [
        (h.entry.id, h.title_cosine) for h in expected
    ]
    assert hits[0].entry.title == "Wi-Fi" and hits[0].title_cosine > 0.3


def _vector(components: Components) -> np.ndarray:
    vector: np.ndarray = components.embedder.embed(["wireless network"])[0]
    return vector
