"""An agent's new article: written into the knowledge base and served at once, no restart.

The article is a Markdown file with front matter, like the others, under
`articles/<lang>/<folder>/` of the knowledge-base folder (one file per language, one slug for
both so they are translations of each other). The index is then updated incrementally (only
the new article is embedded), saved beside the served version, swapped in with one atomic
rename, and adopted by this process at once; other processes pick the new version up on their
own (docs/knowledge.md).
"""

from __future__ import annotations

import fcntl
import re
import threading
import time
import unicodedata
from datetime import date
from pathlib import Path
from typing import Literal

import anyio
import frontmatter
from pydantic import BaseModel, Field, model_validator

from bot.kernel.errors import GuichetError, NotReady
from bot.kernel.language import Language
from knowledge_index.documents import ContentInvalid
from knowledge_index.service import IndexedKnowledgeBase, update_index

ArticleType = Literal["procedure", "faq", "known_error"]
MAX_SLUG = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class NewArticle(BaseModel):
    title_en: str | None = Field(None, max_length=200)
    body_en: str | None = Field(None, max_length=50_000, description="Markdown")
    title_fr: str | None = Field(None, max_length=200)
    body_fr: str | None = Field(None, max_length=50_000, description="Markdown")
    type: ArticleType = "faq"
    category: str = Field("general", min_length=1, max_length=32)
    tags: list[str] = Field(default_factory=list, max_length=30)
    gap: str | None = Field(None, max_length=64, description="the knowledge gap it answers")

    @model_validator(mode="after")
    def _one_language_at_least(self) -> NewArticle:
        languages = self.languages()
        for language in ("en", "fr"):
            title, body = getattr(self, f"title_{language}"), getattr(self, f"body_{language}")
            if bool(title and title.strip()) != bool(body and body.strip()):
                raise ValueError(f"title_{language} and body_{language} go together")
        if not languages:
            raise ValueError("a title and a body in English or French (or both)")
        return self

    def languages(self) -> list[Language]:
        found: list[Language] = []
        if self.title_en and self.title_en.strip() and self.body_en and self.body_en.strip():
            found.append("en")
        if self.title_fr and self.title_fr.strip() and self.body_fr and self.body_fr.strip():
            found.append("fr")
        return found

    def title(self, language: Language) -> str:
        return (self.title_fr if language == "fr" else self.title_en) or ""

    def body(self, language: Language) -> str:
        return (self.body_fr if language == "fr" else self.body_en) or ""


class PublishedArticle(BaseModel):
    slug: str
    ids: list[str]
    urls: list[str]
    files: list[str]
    index_entries: int
    seconds: float = Field(description="writing, embedding and swapping the index in")


class ArticleRejected(GuichetError):
    """The knowledge base would not load with the article: nothing was kept."""

    message = "article {slug!r} rejected: {problem}"


def slugify(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NOT_SLUG.sub("-", folded).strip("-")[:MAX_SLUG].strip("-") or "article"


class ArticleWriter:
    def __init__(self, knowledge: IndexedKnowledgeBase, *, folder: str) -> None:
        """Writes into the folder `knowledge` was built from, and updates its index."""
        self.knowledge = knowledge
        self.folder = folder
        self._lock = threading.Lock()

    @property
    def kb_dir(self) -> Path:
        if self.knowledge.kb_dir is None:
            raise NotReady(component="knowledge base folder", reason="not known to the service")
        return self.knowledge.kb_dir

    @property
    def index_dir(self) -> Path:
        if self.knowledge.index_dir is None:
            raise NotReady(component="knowledge index", reason="its folder is not known")
        return self.knowledge.index_dir

    async def publish(self, new: NewArticle, *, author: str) -> PublishedArticle:
        """Write the article and serve it; CPU and disk work off the event loop."""
        return await anyio.to_thread.run_sync(self._publish, new, author)

    def _publish(self, new: NewArticle, author: str) -> PublishedArticle:
        started = time.perf_counter()
        articles = self.kb_dir / "articles"
        if not articles.is_dir():
            raise NotReady(
                component="knowledge base folder",
                reason=f"{articles} is missing (GUICHET_KNOWLEDGE__KB_DIR)",
            )
        lock_path = self.index_dir.parent / f".{self.index_dir.name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        # One writer at a time, in this process (threads) and across processes (the file).
        with self._lock, lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            slug = self._free_slug(slugify(new.title_en or new.title_fr or ""))
            written = [self._write(new, language, slug, author) for language in new.languages()]
            try:
                index, _ = update_index(self.kb_dir, self.index_dir, self.knowledge.embedder)
            except ContentInvalid as exc:
                for path in written:
                    path.unlink(missing_ok=True)
                raise ArticleRejected(slug=slug, problem=str(exc)) from exc
            self.knowledge.adopt(index)
        return PublishedArticle(
            slug=slug,
            ids=[f"{language}-{slug}" for language in new.languages()],
            urls=[f"/kb/{language}/{slug}" for language in new.languages()],
            files=[str(path.relative_to(self.kb_dir)) for path in written],
            index_entries=index.manifest.entries,
            seconds=round(time.perf_counter() - started, 3),
        )

    def _free_slug(self, base: str) -> str:
        """`base`, or `base-2`, `base-3`... when a file or an indexed article has it."""
        articles = self.kb_dir / "articles"
        taken = {path.stem for path in articles.rglob("*") if path.is_file()}
        index = self.knowledge.index
        slug, n = base, 1
        while slug in taken or (
            index is not None and any(index.entry(slug, lang) for lang in ("en", "fr"))
        ):
            n += 1
            slug = f"{base[: MAX_SLUG - 4]}-{n}"
        return slug

    def _write(self, new: NewArticle, language: Language, slug: str, author: str) -> Path:
        metadata: dict[str, object] = {
            "id": f"{language}-{slug}",
            "slug": slug,
            "title": new.title(language).strip(),
            "lang": language,
            "type": new.type,
            "category": new.category,
            "tags": [tag.strip() for tag in new.tags if tag.strip()],
            "updated": date.today().isoformat(),
            "author": author,
        }
        if new.gap:
            metadata["gap"] = new.gap
        post = frontmatter.Post(new.body(language).strip() + "\n")
        post.metadata.update(metadata)
        path = self.kb_dir / "articles" / language / self.folder / f"{slug}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(frontmatter.dumps(post) + "\n", encoding="utf-8")
        return path
