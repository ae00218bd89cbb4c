"""Confluence's pages as a knowledge source, through the REST API (`/rest/api/content`, the
same on Cloud and Data Center; tested against Cloud's payloads).

Each sync lists every current page of the configured spaces, without bodies (`GET
/rest/api/content?spaceKey=..&type=page&status=current&expand=version,metadata.labels,
restrictions.read.restrictions.group,restrictions.read.restrictions.user,ancestors`, paged with
`start`/`limit` and followed through `_links.next`), then reads the body
(`GET /rest/api/content/{id}?expand=body.storage`) of the pages whose version, title, labels
or read restrictions changed since the last sync. A page no longer listed (trashed, purged,
moved to another space, or hidden from Guichet's account) leaves the index. Comparing the
listing rather than searching `lastmodified` with CQL also sees label and restriction changes,
which make no new version, and is immune to CQL reading dates in the account's time zone.

Read restrictions: a page is readable by the members of a group allowed on the page and on
each of its restricted ancestors (view restrictions are inherited), so the entry's groups are
the groups every restricted level allows; a page restricted to named people only, or whose
levels share no group, is not indexed at all. Confluence has no language field nor a
documented link between translations: the language is detected and no pair is linked.
https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content/
https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content-restrictions/
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bot.settings.sources import ConfluenceSourceSettings
from knowledge_index.sources.confluence_storage import storage_text
from knowledge_index.sources.fetching import SourceHttp
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)

NAME = "confluence"
ID_PREFIX = f"{NAME}:"
PER_PAGE = 100
LISTED = (
    "version,metadata.labels,restrictions.read.restrictions.group,"
    "restrictions.read.restrictions.user,ancestors"
)


@dataclass(frozen=True)
class _Listed:
    id: str
    space: str
    title: str
    version: int
    when: str
    labels: tuple[str, ...]
    own_groups: frozenset[str]
    restricted: bool  # any read restriction on the page itself (groups or people)
    ancestors: tuple[str, ...]
    url: str


def _results(container: Any) -> list[Any]:
    return list(container.get("results") or []) if isinstance(container, Mapping) else []


def _listed(item: Mapping[str, Any], space: str, base: str) -> _Listed:
    read = ((item.get("restrictions") or {}).get("read") or {}).get("restrictions") or {}
    groups = frozenset(str(g.get("name") or "") for g in _results(read.get("group")))
    people = _results(read.get("user"))
    version = item.get("version") or {}
    labels = _results((item.get("metadata") or {}).get("labels"))
    links = item.get("_links") or {}
    return _Listed(
        id=str(item["id"]),
        space=space,
        title=str(item.get("title") or ""),
        version=int(version.get("number") or 0),
        when=str(version.get("when") or ""),
        labels=tuple(sorted(str(label.get("name")) for label in labels if label.get("name"))),
        own_groups=groups - {""},
        restricted=bool(groups or people),
        ancestors=tuple(str(a["id"]) for a in item.get("ancestors") or [] if "id" in a),
        url=f"{base}{links.get('webui', '')}" if links.get("webui") else "",
    )


def readers(page: _Listed, pages: Mapping[str, _Listed]) -> tuple[str, ...] | None:
    """The groups that may read `page` (empty: everyone), or None when no group may."""
    allowed: frozenset[str] | None = None
    for level in [page, *(pages[a] for a in page.ancestors if a in pages)]:
        if level.restricted:
            allowed = level.own_groups if allowed is None else allowed & level.own_groups
    if allowed is None:
        return ()
    return tuple(sorted(allowed)) or None


def _time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


class ConfluencePages:
    """The current pages of the configured spaces (`spaces`)."""

    name = NAME
    stores_documents = True

    def __init__(self, settings: ConfluenceSourceSettings, *, timeout_seconds: float) -> None:
        setting = "GUICHET_KNOWLEDGE__SOURCES__CONFLUENCE__"
        if not settings.base_url:
            raise SourceUnavailable(source=self.name, problem=f"no address: set {setting}BASE_URL")
        if not settings.spaces:
            raise SourceUnavailable(
                source=self.name, problem=f"no space to read: set {setting}SPACES"
            )
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        pat = settings.personal_access_token.get_secret_value()
        token = settings.api_token.get_secret_value()
        self._http = SourceHttp(
            self.name,
            timeout_seconds=timeout_seconds,
            headers={"authorization": f"Bearer {pat}"} if pat else None,
            auth=None if pat else httpx.BasicAuth(settings.email, token),
            secrets=(pat, token),
            advice=f"; check {setting}EMAIL and API_TOKEN (or PERSONAL_ACCESS_TOKEN) and that "
            "the account may view the spaces",
        )

    async def _space_pages(self, space: str) -> list[_Listed]:
        url: str | None = f"{self._base}/rest/api/content"
        params: dict[str, Any] | None = {
            "spaceKey": space, "type": "page", "status": "current", "expand": LISTED,
            "start": 0, "limit": PER_PAGE,
        }  # fmt: skip
        pages: list[_Listed] = []
        while url:
            found = await self._http.get(url, params)
            links = found.get("_links") or {}
            base = str(links.get("base") or self._base).rstrip("/")
            pages += [_listed(item, space, base) for item in _results(found)]
            following = links.get("next")
            url, params = (f"{base}{following}", None) if following else (None, None)
        return pages

    async def _document(self, page: _Listed, groups: Sequence[str]) -> SourceDocument:
        found = await self._http.get(
            f"{self._base}/rest/api/content/{page.id}", {"expand": "body.storage,version"}
        )
        storage = ((found.get("body") or {}).get("storage") or {}).get("value") or ""
        version = found.get("version") or {}
        return SourceDocument(
            id=f"{ID_PREFIX}{page.id}",
            title=str(found.get("title") or page.title),
            body=storage_text(str(storage)),
            url=page.url or f"{self._base}/pages/viewpage.action?pageId={page.id}",
            groups=tuple(groups),
            updated=_time(str(version.get("when") or page.when)),
            category=page.space.lower(),
            tags=page.labels,
        )

    async def changes(self, since: str | None) -> SourceChanges:
        before: dict[str, str] = json.loads(since) if since else {}
        listed: dict[str, _Listed] = {}
        for space in self.settings.spaces:
            listed |= {page.id: page for page in await self._space_pages(space)}
        now: dict[str, str] = {}
        documents: list[SourceDocument] = []
        for page in listed.values():
            groups = readers(page, listed)
            if groups is None:
                continue  # nobody may read it through a group: not offered to anyone
            seen = json.dumps([page.version, page.title, page.labels, groups])
            now[page.id] = seen
            if before.get(page.id) != seen:
                documents.append(await self._document(page, groups))
        deleted = sorted(f"{ID_PREFIX}{page_id}" for page_id in before.keys() - now.keys())
        return SourceChanges(documents, deleted, json.dumps(now, sort_keys=True))

    async def health(self) -> SourceHealth:
        try:
            for space in self.settings.spaces:
                await self._http.get(f"{self._base}/rest/api/space/{space}")
        except SourceUnavailable as exc:
            return SourceHealth(ok=False, detail=str(exc))
        return SourceHealth(ok=True, detail=f"{self._base} ({', '.join(self.settings.spaces)})")

    async def aclose(self) -> None:
        await self._http.aclose()
