"""`update` re-embeds only what changed and drops what was deleted; the served index reloads."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import pytest

from bot.services import Components
from bot.settings import SAMPLE_KB_DIR
from knowledge_index import service
from knowledge_index.index import SearchQuery
from knowledge_index.service import open_knowledge_base, update_index

pytestmark = pytest.mark.slow


def _small_kb(tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    for language in ("en", "fr"):
        (kb / "articles" / language).mkdir(parents=True)
        for slug in ("vpn-connect", "printer-add", "reset-password"):
            source = SAMPLE_KB_DIR / "articles" / language / f"{slug}.md"
            shutil.copy(source, kb / "articles" / language / source.name)
    shutil.copy(SAMPLE_KB_DIR / "actions.yaml", kb / "actions.yaml")
    return kb


def _versions(directory: Path) -> int:
    return len([p for p in directory.iterdir() if p.name.startswith(".index-")])


async def test_update_embeds_only_what_changed(components: Components, tmp_path: Path) -> None:
    kb, index_dir = _small_kb(tmp_path), tmp_path / "index"
    first, changes = update_index(kb, index_dir, components.embedder)
    assert (changes.added, first.manifest.embedded) == (16, first.manifest.passages)

    same, changes = update_index(kb, index_dir, components.embedder)
    assert not changes.any and same.manifest.built_at == first.manifest.built_at

    article = kb / "articles" / "en" / "printer-add.md"
    article.write_text(article.read_text().replace("FollowMe", "FollowYou"))
    (kb / "articles" / "fr" / "vpn-connect.md").unlink()
    (kb / "articles" / "en" / "toner.txt").write_text(
        "Order toner for the Ricoh copiers\n\nToner cartridges come from the facilities team."
    )
    updated, changes = update_index(kb, index_dir, components.embedder)
    assert (changes.added, changes.changed, changes.removed) == (1, 1, 1)
    changed_passages = sum(
        1 for p in updated.passages if updated.entries[p.entry].id in {"en-printer-add", "en-toner"}
    )
    assert updated.manifest.embedded == changed_passages < updated.manifest.passages
    assert updated.by_id("fr-vpn-connect") is None
    knowledge = open_knowledge_base(kb, index_dir, components.embedder)
    hits = await knowledge.hybrid(SearchQuery("toner ricoh", "en", limit=1))
    assert hits[0].entry.id == "en-toner"
    assert _versions(tmp_path) == 2  # the new one and the previous, other processes may serve it

    forced, _ = update_index(kb, index_dir, components.embedder, force=True)
    assert forced.manifest.embedded == forced.manifest.passages


async def test_a_running_service_picks_up_a_new_version(
    components: Components, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, index_dir = _small_kb(tmp_path), tmp_path / "index"
    knowledge = open_knowledge_base(kb, index_dir, components.embedder)
    (kb / "articles" / "en" / "toner.txt").write_text("Order toner\n\nToner for the copiers.")
    update_index(kb, index_dir, components.embedder)  # as `guichet index update` would
    monkeypatch.setattr(service, "RELOAD_EVERY_S", 0.0)
    knowledge.reload_if_changed()
    for _ in range(100):
        if knowledge.index is not None and knowledge.index.by_id("en-toner"):
            break
        await anyio.sleep(0.05)
    assert knowledge.index is not None and knowledge.index.by_id("en-toner") is not None


def test_without_build_a_missing_index_is_reported(components: Components, tmp_path: Path) -> None:
    knowledge = open_knowledge_base(
        _small_kb(tmp_path), tmp_path / "index", components.embedder, build=False
    )
    assert knowledge.index is None and "guichet index build" in (knowledge.problem or "")


def test_new_stop_words_rebuild_the_words_and_reuse_the_vectors(
    components: Components, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb, index_dir = _small_kb(tmp_path), tmp_path / "index"
    first, _ = update_index(kb, index_dir, components.embedder)
    monkeypatch.setattr("knowledge_index.index.STOP_WORDS", frozenset({"the", "printer"}))
    rebuilt, changes = update_index(kb, index_dir, components.embedder)
    assert rebuilt.manifest.content_hash != first.manifest.content_hash
    assert rebuilt.manifest.built_at > first.manifest.built_at
    assert not changes.any and rebuilt.manifest.embedded == 0
