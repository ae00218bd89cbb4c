"""The omnibox's answers kept as the bytes sent: the same bytes FastAPI made of the answer
computed afresh, one audience's answer never given to another, and a new index version
answered at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from bot.services import Components, Services
from knowledge_index.documents import ANONYMOUS
from knowledge_index.service import QueryVectors, build_index
from knowledge_index.suggest import Suggestions
from tests.bot.api.restricted_kb import WORD, open_client, served_kb
from tests.bot.auth.helpers import bearer

pytestmark = pytest.mark.slow
LATER = f"""---
title: Cleaning the {WORD} badge reader
lang: en
type: faq
category: hardware
---
# Cleaning the {WORD} badge reader

Wipe the {WORD} reader with a dry cloth.
"""
TYPED = [WORD[:2], WORD[:5], WORD, f"{WORD} cons", f"the {WORD} printer", "mot de pa", "vpn"]


@pytest.fixture
async def served(
    components: Components, tmp_path: Path
) -> AsyncIterator[tuple[Services, FastAPI, Path]]:
    async with served_kb(components, tmp_path) as found:
        yield found


async def _body(client: httpx.AsyncClient, q: str, lang: str = "en") -> bytes:
    answer = await client.get("/api/v1/suggest", params={"q": q, "lang": lang})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    return answer.content


def _ids(body: bytes) -> list[str]:
    return [s.id for s in Suggestions.model_validate_json(body).suggestions]


async def test_cached_bytes_are_those_fastapi_made_of_the_fresh_answer(
    served: tuple[Services, FastAPI, Path],
) -> None:
    services, app, _ = served
    service = services.suggestions
    # What the route sent before: the answer computed without any cache, encoded by FastAPI
    # as the declared response model.
    reference = FastAPI()

    @reference.get("/fresh", response_model=Suggestions)
    async def fresh(q: str, lang: str) -> Suggestions:
        return await service._suggest(  # the uncached path
            q,
            "en" if lang == "en" else "fr",
            8,
            await service.feedback.signals(),
            await service.notices.active(),
            ANONYMOUS,
            service.default_zone,
        )

    sent: set[bytes] = set()
    async with open_client(app) as client, open_client(reference) as fresh_client:
        for q in TYPED:
            first, again = await _body(client, q), await _body(client, q)
            expected = await fresh_client.get("/fresh", params={"q": q, "lang": "en"})
            assert first == again == expected.content, q
            sent.add(first)
    cached = {found.body for found in service._cache.values()}
    assert len(cached) >= len(TYPED) - 1 and cached <= sent  # the second of each: a cache hit


async def test_one_audience_never_gets_another_s_cached_answer(
    served: tuple[Services, FastAPI, Path],
) -> None:
    services, app, _ = served
    member = await bearer(services, role="employee", email="sam.taylor@norvane.example")
    outsider = await bearer(services, role="employee", email="john.smith@norvane.example")
    agent = await bearer(services, role="agent", email="agent@norvane.example")
    # the member first, so that a cache keyed on the text alone would leak to those after
    for headers, sees in [(member, True), (None, False), (outsider, False), (agent, True)]:
        async with open_client(app, headers) as client:
            for _ in range(2):  # computed, then from the cache
                ids = _ids(await _body(client, WORD))
                assert "en-printer-queue" in ids
                assert ("en-console-reboot" in ids) is sees, (headers, ids)


async def test_a_new_index_version_is_answered_at_once(
    served: tuple[Services, FastAPI, Path],
) -> None:
    services, app, kb = served
    async with open_client(app) as client:
        before = await _body(client, WORD)
        assert "en-badge-reader" not in _ids(before)
        (kb / "articles" / "badge-reader.md").write_text(LATER, "utf-8")
        knowledge = services.knowledge
        assert knowledge.index_dir is not None
        knowledge.adopt(build_index(kb, knowledge.index_dir, knowledge.embedder))
        after = await _body(client, WORD)
        assert "en-badge-reader" in _ids(after), _ids(after)
        assert await _body(client, WORD) == after


async def test_an_answer_begun_before_a_new_index_is_not_kept_after_it(
    served: tuple[Services, FastAPI, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    services, _, kb = served
    service, knowledge = services.suggestions, services.knowledge
    assert knowledge.index_dir is not None
    (kb / "articles" / "badge-reader.md").write_text(LATER, "utf-8")
    newer = build_index(kb, knowledge.index_dir, knowledge.embedder)
    # The first keystroke is held while waiting for its embedding; meanwhile the new index
    # is served and another keystroke finds it.
    vectors = QueryVectors(knowledge.embedder)
    embedded = vectors.batched
    held, waiting, release = [f"{WORD} clea"], asyncio.Event(), asyncio.Event()

    async def batched(texts: list[str]) -> None:
        if held and texts and texts[0].startswith(held[0]):
            held.clear()
            waiting.set()
            await release.wait()
        await embedded(texts)

    monkeypatch.setattr(knowledge, "vectors", vectors)
    monkeypatch.setattr(vectors, "batched", batched)
    begun = asyncio.ensure_future(service.suggest_encoded(f"{WORD} clea", language="en"))
    await asyncio.wait_for(waiting.wait(), timeout=30)
    knowledge.adopt(newer)
    after = await service.suggest_encoded(f"{WORD} read", language="en")
    release.set()
    await begun
    kept = {key[0] for key in service._cache}
    assert f"{WORD} read" in kept
    assert f"{WORD} clea" not in kept  # read under the former generation: answered anew
    assert "en-badge-reader" in _ids(after.body)
