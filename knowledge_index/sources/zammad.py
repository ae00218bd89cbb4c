"""Zammad's knowledge base answers as a knowledge source, through its REST API.

`POST /api/v1/knowledge_bases/init` lists every knowledge base, locale, category, answer and
answer translation (titles, `updated_at`, no bodies); the answers changed since the cursor are
then read with `GET /api/v1/knowledge_bases/{kb}/answers/{id}?full=1&include_contents=...`
for their bodies (HTML). One document per translation, in a pair per answer; the language is
the knowledge base locale's (`GET /api/v1/locales`: "fr-fr" → French). A published answer is
for everyone, an internal one for agents only; an archived answer, a draft, or one no longer
listed leaves the index. The cursor keeps the latest `updated_at` seen and each answer's
documents.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from bot.settings.sources_itsm import ZammadKnowledgeSettings
from knowledge_index.formats import html_text
from knowledge_index.sources.itsm_common import AGENTS_ONLY, json_of, language_of, request
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)

ID_PREFIX = "zammad:"
REFUSED = "check the access token and its knowledge_base.editor permission"
Assets = Mapping[str, Mapping[str, Mapping[str, Any]]]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class ZammadKnowledge:
    """The answers of Zammad's knowledge bases."""

    name = "zammad"
    stores_documents = True

    def __init__(self, settings: ZammadKnowledgeSettings, *, timeout_seconds: float) -> None:
        if not settings.base_url:
            raise SourceUnavailable(
                source=self.name,
                problem="no address: set GUICHET_KNOWLEDGE__SOURCES__ZAMMAD__BASE_URL",
            )
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=f"{self._base}/api/v1",
            timeout=timeout_seconds,
            headers={"authorization": f"Token token={settings.token.get_secret_value()}"},
        )

    async def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = await request(self._client, self.name, method, path, refused=REFUSED, **kwargs)
        return json_of(answer, self.name)

    async def changes(self, since: str | None) -> SourceChanges:
        previous = json.loads(since) if since else {}
        latest: str | None = previous.get("since")
        known: dict[str, list[str]] = dict(previous.get("documents") or {})
        assets: Assets = await self._json("POST", "/knowledge_bases/init")
        locales = {
            int(locale["id"]): str(locale["locale"])
            for locale in await self._json("GET", "/locales")
        }
        kb_locales = {
            int(key): locales.get(int(value["system_locale_id"]), "")
            for key, value in (assets.get("KnowledgeBaseLocale") or {}).items()
        }
        translations = assets.get("KnowledgeBaseAnswerTranslation") or {}
        documents: list[SourceDocument] = []
        deleted: list[str] = []
        answers = assets.get("KnowledgeBaseAnswer") or {}
        for key, answer in sorted(answers.items(), key=lambda pair: int(pair[0])):
            mine = [translations[str(t)] for t in answer.get("translation_ids") or []]
            stamps = [str(answer["updated_at"]), *(str(t["updated_at"]) for t in mine)]
            newest = max(stamps)
            if latest is not None and newest < latest and key in known:
                continue  # unchanged since the last sync
            shown = answer.get("published_at") or answer.get("internal_at")
            if answer.get("archived_at") or not shown:
                deleted += known.pop(key, [])
                continue
            read = await self._answer(answer, mine, kb_locales, assets)
            deleted += [d for d in known.get(key, []) if d not in {r.id for r in read}]
            known[key] = [r.id for r in read]
            documents += read
        for gone in [key for key in known if key not in answers]:
            deleted += known.pop(gone)
        stamps = [str(a["updated_at"]) for a in answers.values()]
        stamps += [str(t["updated_at"]) for t in translations.values()]
        latest = max([*stamps, latest or ""]) or None
        return SourceChanges(documents, deleted, json.dumps({"since": latest, "documents": known}))

    async def _answer(
        self,
        answer: Mapping[str, Any],
        translations: list[Mapping[str, Any]],
        kb_locales: Mapping[int, str],
        assets: Assets,
    ) -> list[SourceDocument]:
        category = (assets.get("KnowledgeBaseCategory") or {}).get(str(answer["category_id"]), {})
        kb_id = category.get("knowledge_base_id", 1)
        contents = ",".join(str(t["content_id"]) for t in translations)
        full = await self._json(
            "GET",
            f"/knowledge_bases/{kb_id}/answers/{answer['id']}",
            params={"full": "1", "include_contents": contents},
        )
        bodies = full.get("assets", {}).get("KnowledgeBaseAnswerTranslationContent") or {}
        category_titles = {
            int(t["kb_locale_id"]): str(t["title"])
            for t in (assets.get("KnowledgeBaseCategoryTranslation") or {}).values()
            if t.get("category_id") == answer["category_id"]
        }
        public = bool(answer.get("published_at"))
        documents = []
        for translation in translations:
            locale = kb_locales.get(int(translation["kb_locale_id"]), "")
            language = language_of(locale)
            if language is None:
                continue
            body = str((bodies.get(str(translation["content_id"])) or {}).get("body") or "")
            url = (
                f"{self._base}/help/{locale}/{answer['category_id']}/{answer['id']}"
                if public
                else f"{self._base}/#knowledge_base/{kb_id}/locale/{locale}/answer/{answer['id']}"
            )
            documents.append(
                SourceDocument(
                    id=f"{ID_PREFIX}{answer['id']}-{language}",
                    title=str(translation["title"]),
                    body=html_text(body),
                    url=url,
                    language=language,
                    pair=f"{ID_PREFIX}{answer['id']}",
                    groups=() if public else AGENTS_ONLY,
                    updated=_time(str(translation["updated_at"])),
                    category=category_titles.get(int(translation["kb_locale_id"]), ""),
                    tags=tuple(str(tag) for tag in answer.get("tags") or []),
                )
            )
        return documents

    async def health(self) -> SourceHealth:
        try:
            await self._json("GET", "/users/me")
        except SourceUnavailable as exc:
            return SourceHealth(ok=False, detail=str(exc))
        return SourceHealth(ok=True, detail=self._base)

    async def aclose(self) -> None:
        await self._client.aclose()
