"""What the knowledge-source contract needs from each HTTP source's peer: how to reach it (with
Guichet's credentials or wrong ones, or at another address), and how people create, change and
delete a document there. A new source adds a `*_harness` function and a `HARNESSES` entry."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from bot.settings.sources import (
    ConfluenceSourceSettings,
    SharePointSourceSettings,
    SourceSettings,
)
from bot.storage.knowledge_sources import KnowledgeSourceStore
from knowledge_index.documents import Entry
from knowledge_index.sources.protocol import KnowledgeSource, SourceContext
from knowledge_index.sources.registry import build_source
from tests.contracts.fakes import confluence as confluence_fake
from tests.contracts.fakes import sharepoint as sharepoint_fake
from tests.contracts.fakes.faults import Faults
from tests.contracts.fakes.server import LocalServer

Account = Literal["guichet", "wrong"]
QUICK = 5.0  # seconds before a request times out
WRONG_TOKEN = "ATATT-not-the-token"
WRONG_SECRET = "Sp8~not-the-secret"


@dataclass
class SourceHarness:
    name: str
    build: Callable[[Account, str | None], KnowledgeSource]  # (account, base URL override)
    # (title, text, groups) -> the document's id in Guichet; groups only where `restricts`.
    create: Callable[[str, str, tuple[str, ...]], str]
    change: Callable[[str, str, str], None]  # (document id, new title, new text)
    delete: Callable[[str], None]  # the way people delete there (trash, delete, disable)
    page_size: int  # the peer's page size: more documents than this need paging
    faults: Faults
    restricts: bool = False  # the tool itself restricts a document to groups
    secrets: tuple[str, ...] = ()  # never to be seen in an error

    def source(self, account: Account = "guichet", *, url: str | None = None) -> KnowledgeSource:
        return self.build(account, url)


def _context(**sources: object) -> SourceContext:
    return SourceContext(settings=SourceSettings.model_validate(sources), kb_dir=Path())


def confluence_harness() -> Iterator[SourceHarness]:
    wiki = confluence_fake.ConfluenceCloud()
    server = LocalServer(wiki.app()).start()
    wiki.url = server.url

    def build(account: Account, url: str | None) -> KnowledgeSource:
        token = confluence_fake.API_TOKEN if account == "guichet" else WRONG_TOKEN
        settings = ConfluenceSourceSettings(
            base_url=f"{url or server.url}/wiki",
            email=confluence_fake.EMAIL,
            api_token=SecretStr(token),
            spaces=["IT"],
        )
        return build_source("confluence", _context(confluence=settings, timeout_seconds=QUICK))

    def create(title: str, text: str, groups: tuple[str, ...]) -> str:
        page = wiki.create_page("IT", title, f"<p>{text}</p>", groups=groups)
        return f"confluence:{page}"

    def change(document: str, title: str, text: str) -> None:
        wiki.edit_page(document.removeprefix("confluence:"), title=title, storage=f"<p>{text}</p>")

    def delete(document: str) -> None:
        wiki.trash(document.removeprefix("confluence:"))

    try:
        yield SourceHarness(
            "confluence", build, create, change, delete, confluence_fake.PAGE_SIZE,
            wiki.faults, restricts=True, secrets=(confluence_fake.API_TOKEN, WRONG_TOKEN),
        )  # fmt: skip
    finally:
        server.stop()


def sharepoint_harness() -> Iterator[SourceHarness]:
    site = sharepoint_fake.SharePointOnline()
    server = LocalServer(site.app()).start()
    site.url = server.url

    def build(account: Account, url: str | None) -> KnowledgeSource:
        secret = sharepoint_fake.CLIENT_SECRET if account == "guichet" else WRONG_SECRET
        settings = SharePointSourceSettings(
            tenant_id=sharepoint_fake.TENANT,
            client_id=sharepoint_fake.CLIENT_ID,
            client_secret=SecretStr(secret),
            site=sharepoint_fake.SITE_ID,
            login_url=url or server.url,
            graph_url=url or server.url,
        )
        return build_source("sharepoint", _context(sharepoint=settings, timeout_seconds=QUICK))

    def create(title: str, text: str, groups: tuple[str, ...]) -> str:
        return f"sharepoint:{site.create_page(title, f'<p>{text}</p>')}"

    def change(document: str, title: str, text: str) -> None:
        site.edit_page(document.removeprefix("sharepoint:"), title=title, html=f"<p>{text}</p>")

    def delete(document: str) -> None:
        site.delete_page(document.removeprefix("sharepoint:"))

    try:
        yield SourceHarness(
            "sharepoint", build, create, change, delete, sharepoint_fake.PAGE_SIZE, site.faults,
            secrets=(sharepoint_fake.CLIENT_SECRET, WRONG_SECRET),
        )  # fmt: skip
    finally:
        server.stop()


HARNESSES: dict[str, Callable[[], Iterator[SourceHarness]]] = {
    "confluence": confluence_harness,
    "sharepoint": sharepoint_harness,
}


async def synced_entries(store: KnowledgeSourceStore, source: str) -> dict[str, Entry]:
    """The entries the store holds from `source`, by id."""
    return {entry.id: entry for entry in await store.entries([source])}


def unique_word() -> str:
    """A word no document has yet: what a test creates is found by it alone."""
    return f"zq{uuid.uuid4().hex[:8]}"
