"""An index build that fails half-way, by an error or by the process being killed: the old
version keeps serving, in this process and after a reload, and the next build succeeds."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.services import Components
from bot.settings import SAMPLE_KB_DIR
from knowledge_index.index import SearchQuery
from knowledge_index.service import IndexedKnowledgeBase, open_knowledge_base, update_index
from tests.conftest import CACHE
from tests.faults.processes import environment


def _sample(root: Path) -> tuple[Path, Path]:
    """The sample knowledge base and a copy of the test cache's index of it (nothing to build)."""
    kb, data = root / "kb", root / "data"
    shutil.copytree(SAMPLE_KB_DIR, kb)
    data.mkdir()
    shutil.copytree((CACHE / "index").resolve(), data / ".index-cached")
    (data / "index").symlink_to(".index-cached")
    return kb, data


async def _still_serving(knowledge: IndexedKnowledgeBase, version: str | None) -> None:
    knowledge.reload_if_changed(force=True)
    assert knowledge.version == version
    hits = await knowledge.search(SearchQuery("imprimante bloquée", "fr", limit=3))
    assert hits and hits[0].score > 0.3


async def test_a_build_failing_half_way_leaves_the_old_index_serving(
    components: Components, tmp_path: Path
) -> None:
    kb, data = _sample(tmp_path)
    index_dir = data / "index"
    knowledge = open_knowledge_base(kb, index_dir, components.embedder, build=False)
    before = knowledge.version
    assert before == ".index-cached"
    (kb / "articles" / "en" / "toner.txt").write_text("Order toner\n\nToner for the copiers.")

    def fail_half_way(done: int, total: int) -> None:
        if done >= total // 2:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        update_index(kb, index_dir, components.embedder, force=True, progress=fail_half_way)
    await _still_serving(knowledge, before)

    update_index(kb, index_dir, components.embedder)
    knowledge.reload_if_changed(force=True)
    for _ in range(200):
        if knowledge.version != before:
            break
        await asyncio.sleep(0.05)
    assert knowledge.index is not None and knowledge.index.by_id("en-toner") is not None


# `guichet index build --force`, run for real, that SIGKILLs itself at a chosen point: while it
# embeds (its second batch) or while it writes its new version (after the passages, before the
# manifest and the switch of the link). Killing it from outside at the right moment is a race.
_KILLED_AT = """
import os, signal, sys
import knowledge_index.index as index
from knowledge_index.columns import Passages
from bot.app.cli.main import main

point = sys.argv.pop(1)
if point == "embedding":
    embed, calls = index.embed_documents, []
    def embed_then_die(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return embed(*args, **kwargs)
    index.embed_documents = embed_then_die
else:
    save = Passages.save
    def save_then_die(self, directory):
        save(self, directory)
        os.kill(os.getpid(), signal.SIGKILL)
    Passages.save = save_then_die
sys.argv = ["guichet", "index", "build", "--force"]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("point", ["embedding", "writing"])
async def test_a_build_killed_half_way_leaves_the_old_index_serving(
    components: Components, tmp_path: Path, point: str
) -> None:
    kb, data = _sample(tmp_path)
    index_dir = data / "index"
    knowledge = open_knowledge_base(kb, index_dir, components.embedder, build=False)
    before = knowledge.version
    env = environment(
        f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
        GUICHET_DATA_DIR=str(data),
        GUICHET_KNOWLEDGE__KB_DIR=str(kb),
    )
    log = tmp_path / "build.log"
    with log.open("wb") as out:
        build = await asyncio.create_subprocess_exec(
            sys.executable, "-c", _KILLED_AT, point, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        returncode = await asyncio.wait_for(build.wait(), timeout=300)
    assert returncode == -signal.SIGKILL, log.read_text()[-2000:]
    half_written = [p for p in data.glob(".index-*") if p.name != before]
    if point == "writing":
        assert [(p / "passages.entry.npy").exists() for p in half_written] == [True]
        assert not (half_written[0] / "manifest.json").exists()
    assert index_dir.resolve().name == before
    await _still_serving(knowledge, before)
    fresh = open_knowledge_base(kb, index_dir, components.embedder, build=False)
    assert fresh.version == before and fresh.ready
