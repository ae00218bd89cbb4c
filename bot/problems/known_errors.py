"""A problem's published workaround as a known-error entry of the index.

The entry is an article file of type `known_error`, one per language the agent wrote the
workaround in, under `articles/<lang>/known-errors/` of the knowledge-base folder, with a slug
made from the problem's reference (`known-error-prb-000007`): every way the index is rebuilt
(`guichet index update`, an agent's new article, a knowledge source's sync) keeps it, and the
file names the problem it came from. Retiring deletes the files and updates the index; both
swap the new index in at once, as agents' articles do (bot/insights/articles.py).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

import anyio
import frontmatter

from bot.kernel.errors import NotReady
from bot.kernel.i18n import t
from bot.kernel.language import Language
from bot.kernel.problems import Problem, known_error_slug
from knowledge_index.documents import Entry
from knowledge_index.service import IndexedKnowledgeBase, update_index

FOLDER = "known-errors"
LANGUAGES: tuple[Language, ...] = ("en", "fr")
# The entries of the enabled knowledge sources, kept in the index beside the folder's.
Synced = Callable[[], Awaitable[Sequence[Entry]]]
Announce = Callable[[], Awaitable[None]]


def article_body(problem: Problem, language: Language) -> str:
    sections = [
        (t("Symptom", language), problem.description or problem.title),
        (t("Cause", language), problem.root_cause or t("Under investigation.", language)),
        (t("Workaround", language), problem.workaround(language)),
    ]
    return "\n\n".join(f"## {title}\n\n{text.strip()}" for title, text in sections) + "\n"


class KnownErrorPublisher:
    def __init__(
        self,
        knowledge: IndexedKnowledgeBase,
        *,
        synced: Synced | None = None,
        announce: Announce | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.synced = synced
        self.announce = announce
        self._lock = threading.Lock()

    def _dirs(self) -> tuple[Path, Path]:
        kb_dir, index_dir = self.knowledge.kb_dir, self.knowledge.index_dir
        if kb_dir is None or index_dir is None:
            raise NotReady(component="knowledge base folder", reason="not known to the service")
        return kb_dir, index_dir

    def paths(self, reference: str) -> list[Path]:
        kb_dir, _ = self._dirs()
        return [
            kb_dir / "articles" / language / FOLDER / f"{known_error_slug(reference)}.md"
            for language in LANGUAGES
        ]

    async def publish(self, problem: Problem, *, category: str, author: str) -> list[str]:
        """Write (or rewrite) the entry in each language that has a workaround; its URLs."""
        synced = list(await self.synced()) if self.synced else []
        urls = await anyio.to_thread.run_sync(self._publish, problem, category, author, synced)
        if self.announce is not None:
            await self.announce()
        return urls

    async def retire(self, reference: str) -> bool:
        """Delete the entry and update the index; False when there was none."""
        synced = list(await self.synced()) if self.synced else []
        removed = await anyio.to_thread.run_sync(self._retire, reference, synced)
        if removed and self.announce is not None:
            await self.announce()
        return removed

    def _locked(self, index_dir: Path) -> Path:
        lock_path = index_dir.parent / f".{index_dir.name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        return lock_path

    def _publish(
        self, problem: Problem, category: str, author: str, synced: list[Entry]
    ) -> list[str]:
        kb_dir, index_dir = self._dirs()
        slug = known_error_slug(problem.reference)
        urls = []
        with self._lock, self._locked(index_dir).open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            for language, path in zip(LANGUAGES, self.paths(problem.reference), strict=True):
                workaround = (
                    problem.workaround_fr if language == "fr" else problem.workaround_en
                ).strip()
                if not workaround:
                    path.unlink(missing_ok=True)
                    continue
                post = frontmatter.Post(article_body(problem, language))
                post.metadata.update(
                    {
                        "id": f"{language}-{slug}",
                        "slug": slug,
                        "title": problem.title,
                        "lang": language,
                        "type": "known_error",
                        "category": category,
                        "tags": [problem.reference.lower()],
                        "updated": date.today().isoformat(),
                        "symptom": problem.description or problem.title,
                        "cause": problem.root_cause,
                        "workaround": workaround,
                        "problem": problem.reference,
                        "author": author,
                    }
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(frontmatter.dumps(post) + "\n", encoding="utf-8")
                urls.append(f"/kb/{language}/{slug}")
            index, _ = update_index(kb_dir, index_dir, self.knowledge.embedder, synced=synced)
            self.knowledge.adopt(index)
        return urls

    def _retire(self, reference: str, synced: list[Entry]) -> bool:
        kb_dir, index_dir = self._dirs()
        with self._lock, self._locked(index_dir).open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = [path for path in self.paths(reference) if path.exists()]
            for path in found:
                path.unlink()
            if found:
                index, _ = update_index(kb_dir, index_dir, self.knowledge.embedder, synced=synced)
                self.knowledge.adopt(index)
        return bool(found)
