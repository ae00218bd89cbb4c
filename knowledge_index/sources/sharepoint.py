"""SharePoint Online site pages as a knowledge source, through Microsoft Graph v1.0, signed in
as an Entra ID application (client credentials, `Sites.Read.All`).

Each sync lists the site's pages (`GET /sites/{site}/pages/microsoft.graph.sitePage` with
`$select`, paged through `@odata.nextLink`), then reads the web parts
(`GET /sites/{site}/pages/{id}/microsoft.graph.sitePage?$expand=canvasLayout`) of the pages
whose eTag changed: the text web parts' `innerHtml` and the other web parts' searchable plain
texts. A page no longer listed was deleted and leaves the index; a page never published
(version 0.x) is left out. Pages are read rather than the site drive's delta query: the delta
gives the .aspx files, not the text of their web parts.

Graph does not expose a page's own permissions: the site's pages are offered to the groups of
`groups` (everyone when empty). SharePoint's multilingual pages keep each translation in a
folder named after its language (`SitePages/fr/Name.aspx` translates `SitePages/Name.aspx`):
such a page's language is its folder's, and the translations of one page share a pair.
https://learn.microsoft.com/en-us/graph/api/sitepage-list
https://learn.microsoft.com/en-us/graph/api/sitepage-get
https://learn.microsoft.com/en-us/graph/api/resources/canvaslayout
https://support.microsoft.com/en-us/office/create-multilingual-sharepoint-sites-pages-and-news-2bb7d610-5453-41c6-a0e8-6f40b3ed750c
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from bot.kernel.language import Language
from bot.settings.sources import SharePointSourceSettings
from knowledge_index.formats import html_text
from knowledge_index.sources.fetching import ClientCredentials, SourceHttp
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)

NAME = "sharepoint"
ID_PREFIX = f"{NAME}:"
PER_PAGE = 100
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
LISTED = "id,name,title,webUrl,eTag,lastModifiedDateTime,publishingState"
# The folder of a translation: a language tag, `fr` or `fr-fr`.
TRANSLATION_FOLDER = re.compile(r"^(?P<language>en|fr)(-[a-z]{2})?$")


def _published_once(page: Mapping[str, Any]) -> bool:
    version = str((page.get("publishingState") or {}).get("versionId") or "1.0")
    return not version.startswith("0.")


def _place(web_url: str) -> tuple[Language | None, str | None]:
    """The language and the pair of a page from where it sits in the Site Pages library."""
    parts = [unquote(part) for part in urlsplit(web_url).path.split("/") if part]
    lowered = [part.lower() for part in parts]
    if "sitepages" not in lowered:
        return None, None
    folders, name = parts[lowered.index("sitepages") + 1 : -1], parts[-1].lower()
    if not folders:
        return None, f"{ID_PREFIX}{name}"
    found = TRANSLATION_FOLDER.match(folders[-1].lower()) if len(folders) == 1 else None
    if found is None:
        return None, None
    return cast(Language, found["language"]), f"{ID_PREFIX}{name}"


def _web_parts(canvas: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for section in canvas.get("horizontalSections") or []:
        for column in section.get("columns") or []:
            yield from column.get("webparts") or []
    yield from (canvas.get("verticalSection") or {}).get("webparts") or []


def page_text(page: Mapping[str, Any]) -> str:
    """The text of a page's web parts, in their order on the page."""
    parts: list[str] = [str(page.get("description") or "")]
    for part in _web_parts(page.get("canvasLayout") or {}):
        if part.get("@odata.type") == "#microsoft.graph.textWebPart":
            parts.append(html_text(str(part.get("innerHtml") or "")))
            continue
        processed = (part.get("data") or {}).get("serverProcessedContent") or {}
        parts += [html_text(str(s.get("value") or "")) for s in processed.get("htmlStrings") or []]
        parts += [str(s.get("value") or "") for s in processed.get("searchablePlainTexts") or []]
    return "\n\n".join(part.strip() for part in parts if part and part.strip())


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


class SharePointPages:
    """The pages of one SharePoint site (`site`)."""

    name = NAME
    stores_documents = True

    def __init__(self, settings: SharePointSourceSettings, *, timeout_seconds: float) -> None:
        setting = "GUICHET_KNOWLEDGE__SOURCES__SHAREPOINT__"
        missing = [
            name.upper()
            for name in ("tenant_id", "client_id", "site")
            if not getattr(settings, name)
        ]
        if missing or not settings.client_secret.get_secret_value():
            unset = missing or ["CLIENT_SECRET"]
            raise SourceUnavailable(
                source=self.name, problem=f"not configured: set {setting}{', '.join(unset)}"
            )
        self.settings = settings
        self._graph = f"{settings.graph_url.rstrip('/')}/v1.0"
        secret = settings.client_secret.get_secret_value()
        login = f"{settings.login_url.rstrip('/')}/{settings.tenant_id}/oauth2/v2.0/token"
        self._http = SourceHttp(
            self.name,
            timeout_seconds=timeout_seconds,
            token=ClientCredentials(
                login,
                {
                    "grant_type": "client_credentials",
                    "client_id": settings.client_id,
                    "client_secret": secret,
                    "scope": GRAPH_SCOPE,
                },
            ),
            secrets=(secret,),
            advice=f"; check {setting}TENANT_ID, CLIENT_ID and CLIENT_SECRET, and that the "
            "application has the Sites.Read.All permission",
        )
        self._site_id: str | None = None

    async def _site(self) -> str:
        if self._site_id is None:
            site = self.settings.site
            if ":" in site:  # hostname:/server-relative path
                found = await self._http.get(f"{self._graph}/sites/{site}", {"$select": "id"})
                site = str(found["id"])
            self._site_id = site
        return self._site_id

    async def _pages(self) -> list[Mapping[str, Any]]:
        url: str | None = f"{self._graph}/sites/{await self._site()}/pages/microsoft.graph.sitePage"
        params: dict[str, Any] | None = {"$select": LISTED, "$top": PER_PAGE}
        pages: list[Mapping[str, Any]] = []
        while url:
            found = await self._http.get(url, params)
            pages += list(found.get("value") or [])
            url, params = found.get("@odata.nextLink"), None
        return pages

    async def _document(self, listed: Mapping[str, Any]) -> SourceDocument:
        site = await self._site()
        page = await self._http.get(
            f"{self._graph}/sites/{site}/pages/{listed['id']}/microsoft.graph.sitePage",
            {"$expand": "canvasLayout"},
        )
        web_url = str(page.get("webUrl") or listed.get("webUrl") or "")
        language, pair = _place(web_url)
        return SourceDocument(
            id=f"{ID_PREFIX}{listed['id']}",
            title=str(page.get("title") or listed.get("title") or listed.get("name") or ""),
            body=page_text(page),
            url=web_url,
            language=language,
            pair=pair,
            groups=tuple(self.settings.groups),
            updated=_time(page.get("lastModifiedDateTime")),
        )

    async def changes(self, since: str | None) -> SourceChanges:
        before: dict[str, str] = json.loads(since) if since else {}
        now: dict[str, str] = {}
        documents: list[SourceDocument] = []
        for listed in await self._pages():
            if not _published_once(listed):
                continue
            page_id = str(listed["id"])
            # The groups are part of what was seen: changing them re-reads every page.
            seen = json.dumps([listed.get("eTag") or listed.get("lastModifiedDateTime"),
                               sorted(self.settings.groups)])  # fmt: skip
            now[page_id] = seen
            if before.get(page_id) != seen:
                documents.append(await self._document(listed))
        deleted = sorted(f"{ID_PREFIX}{page_id}" for page_id in before.keys() - now.keys())
        return SourceChanges(documents, deleted, json.dumps(now, sort_keys=True))

    async def health(self) -> SourceHealth:
        try:
            site = await self._site()
            await self._http.get(f"{self._graph}/sites/{site}", {"$select": "id,webUrl"})
        except SourceUnavailable as exc:
            return SourceHealth(ok=False, detail=str(exc))
        return SourceHealth(ok=True, detail=self.settings.site)

    async def aclose(self) -> None:
        await self._http.aclose()
