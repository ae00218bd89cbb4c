"""Queries that arrive together are embedded together (the real USE model), each getting the
vector it would have had alone; a failure reaches every request that waited for it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import pytest

from bot.services import Components
from knowledge_index.embedders import Embedder, UniversalSentenceEncoder, Vectors
from knowledge_index.index import SearchQuery
from knowledge_index.service import QUERY_BATCH, QueryVectors

TYPED = ["vpn ne marche", "mot de passe oub", "printer jam on the third", "outlook crash"]


class Calls:
    """The real embedder, recording each call's texts; `failing` texts make a call raise."""

    def __init__(self, embedder: Embedder, failing: frozenset[str] = frozenset()) -> None:
        self.name, self.dimension = embedder.name, embedder.dimension
        self.embedder = embedder
        self.failing = failing
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        if self.failing.intersection(texts):
            raise RuntimeError("the embedder failed")
        return self.embedder.embed(texts)


@pytest.fixture(scope="module")
def use() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder()


async def test_texts_asked_for_together_are_embedded_in_one_call(
    use: UniversalSentenceEncoder,
) -> None:
    calls = Calls(use)
    vectors = QueryVectors(calls)
    await asyncio.gather(*(vectors.batched([text]) for text in TYPED))
    assert calls.calls == [TYPED]
    for text in TYPED:
        np.testing.assert_allclose(vectors(text), use.embed([text])[0], atol=2e-6)
    assert calls.calls == [TYPED]  # all four were kept


async def test_texts_already_kept_or_repeated_are_not_embedded_again(
    use: UniversalSentenceEncoder,
) -> None:
    calls = Calls(use)
    vectors = QueryVectors(calls)
    vectors(TYPED[0])
    await asyncio.gather(
        vectors.batched([TYPED[0]]),
        vectors.batched([TYPED[1], TYPED[1]]),
        vectors.batched([" mot  de passe oub "]),  # the same text, spaced otherwise
    )
    assert calls.calls == [[TYPED[0]], [TYPED[1]]]


async def test_a_turn_with_many_texts_is_embedded_in_bounded_batches(
    use: UniversalSentenceEncoder,
) -> None:
    calls = Calls(use)
    vectors = QueryVectors(calls)
    texts = [f"{TYPED[n % len(TYPED)]} {n}" for n in range(QUERY_BATCH + 3)]
    await asyncio.gather(*(vectors.batched([text]) for text in texts))
    assert [len(call) for call in calls.calls] == [QUERY_BATCH, 3]


async def test_a_failure_reaches_every_request_that_waited_and_the_next_turn_works(
    use: UniversalSentenceEncoder,
) -> None:
    calls = Calls(use, failing=frozenset({"boom"}))
    vectors = QueryVectors(calls)
    outcomes = await asyncio.gather(
        vectors.batched(["boom"]), vectors.batched([TYPED[0]]), return_exceptions=True
    )
    assert [type(o) for o in outcomes] == [RuntimeError, RuntimeError]
    await vectors.batched([TYPED[0]])  # a later turn embeds it
    assert calls.calls == [["boom", TYPED[0]], [TYPED[0]]]


async def test_a_request_that_went_away_does_not_stop_the_others(
    use: UniversalSentenceEncoder,
) -> None:
    calls = Calls(use)
    vectors = QueryVectors(calls)
    gone = asyncio.ensure_future(vectors.batched([TYPED[0]]))
    staying = asyncio.ensure_future(vectors.batched([TYPED[1]]))
    await asyncio.sleep(0)  # both are waiting for this turn's embedding
    gone.cancel()
    await staying
    assert gone.cancelled()
    assert calls.calls == [[TYPED[0], TYPED[1]]]


async def test_a_loop_closed_before_its_turn_ended_does_not_hold_up_the_next_ones(
    use: UniversalSentenceEncoder,
) -> None:
    calls = Calls(use)
    vectors = QueryVectors(calls)
    stopped = asyncio.new_event_loop()  # as a test's loop that closed with a request waiting
    vectors._waiting[stopped] = [([TYPED[0]], stopped.create_future())]
    stopped.close()
    await asyncio.wait_for(vectors.batched([TYPED[1]]), timeout=30)
    assert calls.calls == [[TYPED[1]]]
    assert stopped not in vectors._waiting


async def test_searches_arriving_together_find_what_each_finds_alone(
    components: Components, monkeypatch: pytest.MonkeyPatch
) -> None:
    knowledge = components.knowledge
    queries = [
        SearchQuery(text, "fr" if n % 2 else "en", limit=5, complete=n % 2 == 0)
        for n, text in enumerate([*TYPED, "reinit mdp"])  # "mdp": shorthand, two readings
    ]
    alone = [knowledge.find_now(query) for query in queries]
    calls = Calls(knowledge.embedder)
    monkeypatch.setattr(knowledge, "vectors", QueryVectors(calls))  # nothing kept yet
    together = await asyncio.gather(*(knowledge.find(query) for query in queries))
    assert len(calls.calls) == 1 and len(calls.calls[0]) == len(queries) + 1
    for one, other in zip(alone, together, strict=True):
        assert [h.entry.id for h in one.hits] == [h.entry.id for h in other.hits]
        # the same vectors to float32 rounding
        np.testing.assert_allclose(
            [h.score for h in one.hits], [h.score for h in other.hits], atol=1e-5
        )
        assert [h.entry.id for h in one.evidence.hits] == [h.entry.id for h in other.evidence.hits]
