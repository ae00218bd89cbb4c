"""Request Tracker 5's articles as a knowledge source, through REST2.

One search per configured class, `POST /REST/2.0/articles?find_disabled_rows=1` with a JSON
query on `LastUpdated` and the fields wanted in the answer (the body custom field among them),
oldest change first, a hundred a page. RT has no deleted articles: "deleting" one disables it
(`DELETE /article/{id}` sets `Disabled`), which bumps its `LastUpdated`, so disabled articles
come back in the next search and leave the index. The cursor is the latest `LastUpdated` seen
(RT's UTC, to the second); articles changed in that same second are read again, harmlessly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.settings.sources import RequestTrackerArticlesSettings
from knowledge_index.formats import html_text
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)

PER_PAGE = 100
FIELDS = "Name,Summary,Class,LastUpdated,Disabled,CustomFields"
ID_PREFIX = "request_tracker:"


def _time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _field(item: Mapping[str, Any], name: str) -> str:
    for field in item.get("CustomFields") or []:
        if field.get("name") == name:
            return "\n".join(str(value) for value in field.get("values") or [])
    return ""


def _body(text: str) -> str:
    # Articles written in RT's web editor are HTML; those sent through REST2 may be plain text.
    return html_text(text) if "</" in text or "<br" in text else text.strip()


class RequestTrackerArticles:
    """The articles of the configured classes (`classes`), read with REST2."""

    name = "request_tracker"
    stores_documents = True

    def __init__(self, settings: RequestTrackerArticlesSettings, *, timeout_seconds: float) -> None:
        if not settings.base_url:
            raise SourceUnavailable(
                source=self.name,
                problem="no address: set GUICHET_KNOWLEDGE__SOURCES__REQUEST_TRACKER__BASE_URL",
            )
        self.settings = settings
        base_url = settings.base_url.rstrip("/")
        self._web = (settings.web_url or base_url).rstrip("/")
        token = settings.token.get_secret_value()
        self._client = httpx.AsyncClient(
            base_url=f"{base_url}/REST/2.0",
            timeout=timeout_seconds,
            headers={"authorization": f"token {token}"} if token else {},
            auth=None
            if token
            else httpx.BasicAuth(settings.username, settings.password.get_secret_value()),
        )

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = await self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SourceUnavailable(
                source=self.name, problem=f"{self.settings.base_url} unreachable: {exc!r}"
            ) from exc
        if answer.status_code in {401, 403}:
            raise SourceUnavailable(
                source=self.name,
                problem=f"{path} refused ({answer.status_code}): check the user and password "
                "or token, and their ShowArticle right",
            )
        if answer.status_code >= 400:
            raise SourceUnavailable(
                source=self.name, problem=f"{method} {path}: HTTP {answer.status_code}"
            )
        try:
            return answer.json()
        except ValueError as exc:
            raise SourceUnavailable(source=self.name, problem=f"{path}: not JSON") from exc

    async def _class_id(self, name: str) -> str:
        found = await self._call("GET", f"/class/{name}")
        return str(found["id"])

    async def changes(self, since: str | None) -> SourceChanges:
        documents: list[SourceDocument] = []
        deleted: list[str] = []
        latest = since
        for class_name in self.settings.classes:
            class_id = await self._class_id(class_name)
            query: list[dict[str, str]] = [{"field": "Class", "value": class_id}]
            if since:
                value = _time(since).strftime("%Y-%m-%d %H:%M:%S")
                query.append({"field": "LastUpdated", "operator": ">=", "value": value})
            page = 1
            while True:
                found = await self._call(
                    "POST",
                    "/articles",
                    params={
                        "find_disabled_rows": 1,
                        "fields": FIELDS,
                        "orderby": "LastUpdated",
                        "per_page": PER_PAGE,
                        "page": page,
                    },
                    content=json.dumps(query),
                    headers={"content-type": "application/json"},
                )
                for item in found.get("items") or []:
                    updated = str(item.get("LastUpdated") or "")
                    if updated and (latest is None or updated > latest):
                        latest = updated
                    if str(item.get("Disabled", "0")) != "0":
                        deleted.append(f"{ID_PREFIX}{item['id']}")
                    else:
                        documents.append(self._document(item, class_name))
                if not found.get("next_page") or not found.get("items"):
                    break
                page += 1
        return SourceChanges(documents, deleted, latest)

    def _document(self, item: Mapping[str, Any], class_name: str) -> SourceDocument:
        summary = str(item.get("Summary") or "").strip()
        body = _body(_field(item, self.settings.body_field))
        updated = item.get("LastUpdated")
        return SourceDocument(
            id=f"{ID_PREFIX}{item['id']}",
            title=str(item.get("Name") or summary or f"#{item['id']}"),
            body="\n\n".join(part for part in (summary, body) if part),
            url=f"{self._web}/Articles/Article/Display.html?id={item['id']}",
            groups=tuple(self.settings.class_groups.get(class_name, ())),
            updated=_time(str(updated)) if updated else None,
            category=class_name,
        )

    async def health(self) -> SourceHealth:
        try:
            await self._call("GET", "/rt")
        except SourceUnavailable as exc:
            return SourceHealth(ok=False, detail=str(exc))
        return SourceHealth(ok=True, detail=self.settings.base_url)

    async def aclose(self) -> None:
        await self._client.aclose()
