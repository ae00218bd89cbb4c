"""GLPI's knowledge base as a knowledge source, through its REST API (`apirest.php`).

A session (`initSession` with the App-Token and a user token, `killSession` at the end);
the articles changed since the cursor from the search engine (`search/KnowbaseItem`,
`date_mod` after it, sorted by it, `range` pages); each one read with its targets
(`KnowbaseItem_Group`, `KnowbaseItem_Profile`, `Entity_KnowbaseItem`, `KnowbaseItem_User`)
and its translations (`KnowbaseItemTranslation`, one document each, in a pair with the
original). Deleted articles are those missing from the list of ids (`only_id`), compared with
the ones the cursor remembers. Who reads an article: the FAQ, an entity target or a public
profile (Self-Service) is everyone; group targets are those groups; anything else (users,
technician profiles, no target at all) agents only. `answer` is HTML (escaped before GLPI 10).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.settings.sources_itsm import GlpiKnowledgeSettings
from knowledge_index.formats import html_text
from knowledge_index.sources.itsm_common import AGENTS_ONLY, json_of, language_of, request
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)

ID_PREFIX = "glpi:"
ID_OPTION, DATE_MOD_OPTION = 2, 19  # KnowbaseItem's search options
TIME = "%Y-%m-%d %H:%M:%S"
RANGE = re.compile(r"(\d+)-(\d+)/(\d+)")
REFUSED = "check the App-Token, the user token, and the user's knowledge base right"


@dataclass
class _Cursor:
    since: str | None = None
    documents: dict[str, list[str]] = field(default_factory=dict)  # article id → document ids

    @classmethod
    def read(cls, text: str | None) -> _Cursor:
        if not text:
            return cls()
        found = json.loads(text)
        return cls(found.get("since"), dict(found.get("documents") or {}))

    def dump(self) -> str:
        return json.dumps({"since": self.since, "documents": self.documents}, sort_keys=True)


def _answer(text: str) -> str:
    # Before GLPI 10 rich text was stored HTML-escaped ("&lt;p&gt;").
    if "<" not in text and ("&lt;" in text or "&#60;" in text):
        text = html.unescape(text)
    return html_text(text)


class GlpiKnowledge:
    """The articles of GLPI's knowledge base that the API user may read."""

    name = "glpi"
    stores_documents = True

    def __init__(self, settings: GlpiKnowledgeSettings, *, timeout_seconds: float) -> None:
        if not settings.base_url:
            raise SourceUnavailable(
                source=self.name,
                problem="no address: set GUICHET_KNOWLEDGE__SOURCES__GLPI__BASE_URL",
            )
        self.settings = settings
        self._api = settings.base_url.rstrip("/")
        self._web = self._api.removesuffix("/apirest.php")
        app_token = settings.app_token.get_secret_value()
        self._client = httpx.AsyncClient(
            base_url=self._api,
            timeout=timeout_seconds,
            headers={"app-token": app_token} if app_token else {},
        )
        self._session: str | None = None

    async def _get(self, path: str, **params: Any) -> httpx.Response:
        if self._session is None:
            opened = await request(
                self._client, self.name, "GET", "/initSession", refused=REFUSED,
                headers={
                    "authorization": f"user_token {self.settings.user_token.get_secret_value()}"
                },
            )  # fmt: skip
            self._session = str(json_of(opened, self.name)["session_token"])
        return await request(
            self._client, self.name, "GET", path, refused=REFUSED, params=params,
            headers={"session-token": self._session},
        )  # fmt: skip

    async def _changed_ids(self, since: str | None) -> list[tuple[int, str]]:
        """(id, date_mod) of the articles changed after `since`, oldest first."""
        criteria: dict[str, Any] = {}
        if since:
            # "morethan" is strict and GLPI keeps seconds: one second back, re-read harmlessly.
            before = datetime.strptime(since, TIME) - timedelta(seconds=1)
            criteria = {
                "criteria[0][field]": DATE_MOD_OPTION,
                "criteria[0][searchtype]": "morethan",
                "criteria[0][value]": before.strftime(TIME),
            }
        found: list[tuple[int, str]] = []
        start = 0
        while True:
            end = start + self.settings.page_size - 1
            answer = await self._get(
                "/search/KnowbaseItem",
                **criteria,
                **{"forcedisplay[0]": ID_OPTION, "forcedisplay[1]": DATE_MOD_OPTION},
                sort=DATE_MOD_OPTION,
                order="ASC",
                range=f"{start}-{end}",
            )
            page = json_of(answer, self.name)
            rows = page.get("data") or []
            found += [(int(r[str(ID_OPTION)]), str(r[str(DATE_MOD_OPTION)])) for r in rows]
            start += len(rows)
            if not rows or start >= int(page.get("totalcount") or 0):
                return found

    async def _all_ids(self) -> set[int]:
        ids: set[int] = set()
        start = 0
        while True:
            end = start + self.settings.page_size - 1
            answer = await self._get("/KnowbaseItem", only_id="true", range=f"{start}-{end}")
            rows = json_of(answer, self.name) or []
            ids |= {int(row["id"]) for row in rows}
            total = RANGE.search(answer.headers.get("content-range", ""))
            start += len(rows)
            if not rows or total is None or start >= int(total.group(3)):
                return ids

    async def changes(self, since: str | None) -> SourceChanges:
        cursor = _Cursor.read(since)
        try:
            changed = await self._changed_ids(cursor.since)
            documents: list[SourceDocument] = []
            deleted: list[str] = []
            for item_id, date_mod in changed:
                cursor.since = max(cursor.since or date_mod, date_mod)
                mine = await self._documents(item_id)
                before = cursor.documents.get(str(item_id), [])
                deleted += [d for d in before if d not in {m.id for m in mine}]
                documents += mine
                cursor.documents[str(item_id)] = [m.id for m in mine]
            present = await self._all_ids()
            for gone in [key for key in cursor.documents if int(key) not in present]:
                deleted += cursor.documents.pop(gone)
        finally:
            await self._end_session()
        return SourceChanges(documents, deleted, cursor.dump())

    async def _documents(self, item_id: int) -> list[SourceDocument]:
        item = json_of(
            await self._get(f"/KnowbaseItem/{item_id}", expand_dropdowns="true"), self.name
        )
        groups = await self._readers(item)
        article_id = f"{ID_PREFIX}{item_id}"
        updated = datetime.strptime(str(item["date_mod"]), TIME).replace(tzinfo=UTC)
        category = str(item.get("knowbaseitemcategories_id") or "")
        translations = json_of(
            await self._get(f"/KnowbaseItem/{item_id}/KnowbaseItemTranslation"), self.name
        )
        original = SourceDocument(
            id=article_id,
            title=str(item["name"]),
            body=_answer(str(item.get("answer") or "")),
            url=f"{self._web}/front/knowbaseitem.form.php?id={item_id}",
            pair=article_id if translations else None,
            groups=groups,
            updated=updated,
            type="faq" if str(item.get("is_faq")) == "1" else "procedure",
            category="" if category in {"0", "&nbsp;"} else category,
        )
        documents = [original]
        for translation in translations or []:
            language = language_of(str(translation.get("language") or ""))
            if language is not None:
                documents.append(
                    replace(
                        original,
                        id=f"{article_id}-{language}",
                        title=str(translation.get("name") or item["name"]),
                        body=_answer(str(translation.get("answer") or "")),
                        language=language,
                    )
                )
        return documents

    async def _readers(self, item: Mapping[str, Any]) -> tuple[str, ...]:
        if str(item.get("is_faq")) == "1":
            return ()
        item_id = item["id"]

        async def targets(kind: str) -> Sequence[Mapping[str, Any]]:
            answer = await self._get(f"/KnowbaseItem/{item_id}/{kind}", expand_dropdowns="true")
            return json_of(answer, self.name) or []

        if await targets("Entity_KnowbaseItem"):
            return ()
        profiles = {str(p.get("profiles_id")) for p in await targets("KnowbaseItem_Profile")}
        if profiles & set(self.settings.public_profiles):
            return ()
        groups = sorted({str(g.get("groups_id")) for g in await targets("KnowbaseItem_Group")})
        return tuple(groups) or AGENTS_ONLY

    async def _end_session(self) -> None:
        if self._session is None:
            return
        session, self._session = self._session, None
        with contextlib.suppress(httpx.HTTPError):  # the session expires on its own anyway
            await self._client.get("/killSession", headers={"session-token": session})

    async def health(self) -> SourceHealth:
        try:
            await self._get("/getFullSession")
        except SourceUnavailable as exc:
            return SourceHealth(ok=False, detail=str(exc))
        finally:
            await self._end_session()
        return SourceHealth(ok=True, detail=self._api)

    async def aclose(self) -> None:
        await self._end_session()
        await self._client.aclose()
