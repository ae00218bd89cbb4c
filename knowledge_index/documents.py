"""Content of the knowledge base: articles (Markdown, HTML, text), the catalog and the actions."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from bot.kernel.approvals import approver_rule
from bot.kernel.errors import GuichetError
from bot.kernel.language import Language
from bot.kernel.links import SafeLink
from knowledge_index.formats import READERS
from knowledge_index.text import SPACES

# YAML reads a tag such as 0x800f0922 or 2026 as a number: tags are always text.
Tag = Annotated[str, BeforeValidator(str)]

EntryType = Literal["procedure", "faq", "known_error", "catalog_item", "action", "incident_notice"]


class ContentInvalid(GuichetError):
    message = "{path}: {problem}"


class Article(BaseModel):
    id: str
    slug: str
    title: str
    lang: Language
    type: Literal["procedure", "faq", "known_error"]
    category: str
    tags: list[Tag] = Field(default_factory=list)
    updated: date | None = None
    symptom: str | None = None
    cause: str | None = None
    workaround: str | None = None
    # Groups of the directory allowed to read it; empty: everyone.
    groups: list[str] = Field(default_factory=list)
    body: str = ""


class Localised(BaseModel):
    en: str
    fr: str

    def get(self, language: Language) -> str:
        return self.fr if language == "fr" else self.en


class FieldOption(BaseModel):
    value: str
    en: str
    fr: str


class CatalogField(BaseModel):
    name: str
    label: Localised
    type: Literal["choice", "text"]
    required: bool = True
    options: list[FieldOption] = Field(default_factory=list)


class CatalogItem(BaseModel):
    id: str
    category: str
    title: Localised
    description: Localised
    tags: list[Tag] = Field(default_factory=list)
    requires_approval: bool = False
    # who approves: "manager", "group:<directory group>" or "none" (bot/kernel/approvals.py)
    approver: Annotated[str, BeforeValidator(lambda v: str(approver_rule(str(v))))] = "none"
    delivery_days: int = 0
    cost_eur: float = 0
    fields: list[CatalogField] = Field(default_factory=list)


class Action(BaseModel):
    """Something the assistant does rather than explains, offered as a suggestion.

    `payload` is what the chat receives when it is chosen (a button payload such as
    `/incident_status`); `url` where a page does it (a self-service portal, or a page of
    Guichet's own such as `/kb/{lang}/reset-password`: `{lang}` becomes the entry's language).
    """

    id: str
    title: Localised
    description: Localised
    payload: str
    url: SafeLink | None = None
    tags: list[Tag] = Field(default_factory=list)


class Entry(BaseModel):
    """One searchable thing in one language; `group` ties translations of the same thing.

    Known errors also carry their symptom, cause and workaround; actions their `action` payload.
    """

    id: str
    group: str
    title: str
    language: Language
    type: EntryType
    category: str
    tags: list[str]
    url: str
    body: str
    updated: date | None = None
    symptom: str | None = None
    cause: str | None = None
    workaround: str | None = None
    action: str | None = None
    # Who may read it (groups of the directory); empty: everyone.
    groups: list[str] = Field(default_factory=list)

    @property
    def content_hash(self) -> str:
        # Without `groups` when empty: the hashes of entries from before restrictions stand,
        # and their vectors are reused.
        exclude = None if self.groups else {"groups"}
        return hashlib.sha256(self.model_dump_json(exclude=exclude).encode()).hexdigest()


@dataclass(frozen=True)
class Reader:
    """Who is searching, as far as restricted entries go: the directory groups they are in,
    and whether they are an agent (agents read everything). The default: an anonymous
    reader, offered unrestricted entries only."""

    groups: frozenset[str] = frozenset()
    agent: bool = False

    def may_read(self, allowed: Sequence[str]) -> bool:
        return not allowed or self.agent or not self.groups.isdisjoint(allowed)


ANONYMOUS = Reader()


def article_paths(directory: Path) -> list[Path]:
    """The article files under `directory`: those whose extension has a reader, sorted."""
    return sorted(p for p in directory.rglob("*") if p.suffix.lower() in READERS.names())


def load_article(path: Path) -> Article:
    metadata, body = READERS.get(path.suffix.lower())(path)
    try:
        return Article(**metadata, body=body)
    except ValidationError as exc:
        raise ContentInvalid(
            path=str(path),
            problem=str(exc.errors()[0]["msg"])
            + " at "
            + ".".join(map(str, exc.errors()[0]["loc"])),
        ) from exc


def load_articles(directory: Path) -> list[Article]:
    """Every article file under `directory` whose extension has a reader (.md, .html, .txt)."""
    articles = [load_article(path) for path in article_paths(directory)]
    ids = [a.id for a in articles]
    if len(ids) != len(set(ids)):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ContentInvalid(path=str(directory), problem=f"article id {dup!r} is used twice")
    return articles


def load_catalog(path: Path) -> list[CatalogItem]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return [CatalogItem.model_validate(item) for item in data.get("items", [])]
    except ValidationError as exc:
        raise ContentInvalid(path=str(path), problem=str(exc)) from exc


def load_actions(path: Path) -> list[Action]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return [Action.model_validate(item) for item in data.get("actions", [])]
    except ValidationError as exc:
        raise ContentInvalid(path=str(path), problem=str(exc)) from exc


def _known_error_lead(symptom: str | None, cause: str | None, workaround: str | None) -> str:
    return f"{symptom or ''}\n{cause or ''}\n{workaround or ''}\n\n"


def article_entry(article: Article) -> Entry:
    body = article.body
    if article.type == "known_error":
        body = _known_error_lead(article.symptom, article.cause, article.workaround) + body
    return Entry(
        id=article.id,
        group=article.slug,
        title=article.title,
        language=article.lang,
        type=article.type,
        category=article.category,
        tags=article.tags,
        url=f"/kb/{article.lang}/{article.slug}",
        body=body,
        updated=article.updated,
        symptom=article.symptom,
        cause=article.cause,
        workaround=article.workaround,
        groups=article.groups,
    )


def catalog_entries(item: CatalogItem) -> list[Entry]:
    return [
        Entry(
            id=f"{language}-catalog-{item.id}",
            group=f"catalog-{item.id}",
            title=item.title.get(language),
            language=language,
            type="catalog_item",
            category=item.category,
            tags=item.tags,
            url=f"/catalog/{item.id}",
            body=item.description.get(language),
        )
        for language in ("en", "fr")
    ]


def action_entries(action: Action) -> list[Entry]:
    return [
        Entry(
            id=f"{language}-action-{action.id}",
            group=f"action-{action.id}",
            title=action.title.get(language),
            language=language,
            type="action",
            category="action",
            tags=action.tags,
            url=(action.url or "").replace("{lang}", language),
            body=action.description.get(language),
            action=action.payload,
        )
        for language in ("en", "fr")
    ]


class KnowledgeContent(BaseModel):
    articles: list[Article]
    catalog: list[CatalogItem]
    actions: list[Action] = Field(default_factory=list)

    @classmethod
    def load(cls, kb_dir: Path, *, articles: bool = True) -> KnowledgeContent:
        """The knowledge base; without its articles (a service that only orders from the
        catalog needs not hold a hundred thousand of them) when `articles` is false."""
        if not kb_dir.is_dir():
            raise ContentInvalid(
                path=str(kb_dir),
                problem="is not a directory; set "
                "GUICHET_KNOWLEDGE__KB_DIR to the knowledge-base folder",
            )
        return cls(
            articles=load_articles(kb_dir / "articles") if articles else [],
            catalog=load_catalog(kb_dir / "catalog.yaml"),
            actions=load_actions(kb_dir / "actions.yaml"),
        )

    def entries(self) -> list[Entry]:
        entries = [article_entry(a) for a in self.articles]
        for item in self.catalog:
            entries.extend(catalog_entries(item))
        for action in self.actions:
            entries.extend(action_entries(action))
        return entries

    def catalog_item(self, item_id: str) -> CatalogItem | None:
        return next((item for item in self.catalog if item.id == item_id), None)


_HEADING = re.compile(r"^#{1,3} ", re.MULTILINE)


def passages(entry: Entry, max_words: int = 160) -> list[str]:
    """Split an entry's body at its headings, then into chunks of at most `max_words` words."""
    chunks: list[str] = []
    for section in _HEADING.split(entry.body):
        words = SPACES.split(section.strip())
        for start in range(0, len(words), max_words):
            chunk = " ".join(words[start : start + max_words])
            if chunk:
                chunks.append(chunk)
    return chunks or [entry.title]


def article_text(entry: Entry) -> str:
    """The article as its author wrote it: a known error's entry body leads with its symptom,
    cause and workaround for search (`article_entry`), which its own sections already say."""
    lead = _known_error_lead(entry.symptom, entry.cause, entry.workaround)
    if entry.type == "known_error" and entry.body.startswith(lead):
        return entry.body[len(lead) :]
    return entry.body
