"""ServiceNow's knowledge articles as a knowledge source, through the Table API.

`GET /api/now/table/kb_knowledge` with an encoded query on `sys_updated_on`, ordered by it,
`sysparm_display_value=all` (a reference's sys_id and its label), a page of `page_size`
(`sysparm_limit` / `sysparm_offset`). The first sync reads the published articles; later ones
every article touched since the cursor: one no longer `published` (retired, outdated by a new
version, back in review) leaves the index. Deleted records are read from the Deleted Records
table (`sys_audit_delete`, `tablename=kb_knowledge`). `text` is HTML. Who may read an article
is its "Can read" user criteria (`can_read_user_criteria`): criteria naming only groups become
those groups (`sys_user_group.name`, as the directory names them); any other criterion (a
role, a user, a script, "cannot read") leaves the article to agents only. A translation
points to its original with `parent` and says its `language` ("en", "fr").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.settings.sources_itsm import ServiceNowKnowledgeSettings
from knowledge_index.formats import html_text
from knowledge_index.sources.itsm_common import AGENTS_ONLY, json_of, language_of, request
from knowledge_index.sources.protocol import (
    SourceChanges,
    SourceDocument,
    SourceHealth,
    SourceUnavailable,
)

ID_PREFIX = "servicenow:"
FIELDS = (
    "sys_id,number,short_description,text,workflow_state,language,kb_knowledge_base,"
    "kb_category,can_read_user_criteria,cannot_read_user_criteria,parent,sys_updated_on"
)
# A "Can read" criterion Guichet can name as groups sets only `group`.
OTHER_CRITERIA = ("user", "role", "department", "location", "company", "advanced")
REFUSED = "check the user and password, and the account's knowledge and rest_service roles"


def _value(item: Mapping[str, Any], field: str) -> str:
    found = item.get(field)
    if isinstance(found, Mapping):
        return str(found.get("value") or "")
    return str(found or "")


def _label(item: Mapping[str, Any], field: str) -> str:
    found = item.get(field)
    if isinstance(found, Mapping):
        return str(found.get("display_value") or "")
    return str(found or "")


def _ids(text: str) -> list[str]:
    return [part for part in text.split(",") if part]


class ServiceNowKnowledge:
    """The knowledge articles of a ServiceNow instance."""

    name = "servicenow"
    stores_documents = True

    def __init__(self, settings: ServiceNowKnowledgeSettings, *, timeout_seconds: float) -> None:
        if not settings.base_url:
            raise SourceUnavailable(
                source=self.name,
                problem="no address: set GUICHET_KNOWLEDGE__SOURCES__SERVICENOW__BASE_URL",
            )
        self.settings = settings
        self._base = settings.base_url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=f"{self._base}/api/now/table",
            timeout=timeout_seconds,
            auth=httpx.BasicAuth(settings.username, settings.password.get_secret_value()),
            headers={"accept": "application/json"},
        )

    async def _table(self, table: str, query: str, fields: str, **extra: str) -> list[Any]:
        """Every record of `table` matching `query`, page after page."""
        found: list[Any] = []
        offset = 0
        while True:
            params = {
                "sysparm_query": query,
                "sysparm_fields": fields,
                "sysparm_limit": str(self.settings.page_size),
                "sysparm_offset": str(offset),
                "sysparm_exclude_reference_link": "true",
                **extra,
            }
            answer = await request(
                self._client, self.name, "GET", f"/{table}", refused=REFUSED, params=params
            )
            page = json_of(answer, self.name).get("result") or []
            found.extend(page)
            if len(page) < self.settings.page_size:
                return found
            offset += len(page)

    async def changes(self, since: str | None) -> SourceChanges:
        scope = (
            f"^kb_knowledge_baseIN{','.join(self.settings.knowledge_bases)}"
            if self.settings.knowledge_bases
            else ""
        )
        touched = f"sys_updated_on>={since}" if since else "workflow_state=published"
        articles = await self._table(
            "kb_knowledge",
            f"{touched}{scope}^ORDERBYsys_updated_on",
            FIELDS,
            sysparm_display_value="all",
        )
        latest = since
        deleted: list[str] = []
        published: list[Mapping[str, Any]] = []
        for item in articles:
            updated = _value(item, "sys_updated_on")
            latest = max(latest or updated, updated)
            if _value(item, "workflow_state") == "published":
                published.append(item)
            else:
                deleted.append(f"{ID_PREFIX}{_value(item, 'sys_id')}")
        if since:
            removed = await self._table(
                "sys_audit_delete",
                f"tablename=kb_knowledge^sys_created_on>={since}^ORDERBYsys_created_on",
                "documentkey,sys_created_on",
            )
            for record in removed:
                deleted.append(f"{ID_PREFIX}{record['documentkey']}")
                latest = max(latest or "", str(record["sys_created_on"]))
        readers = await self._readers(published)
        documents = [self._document(item, readers) for item in published]
        return SourceChanges(documents, deleted, latest)

    async def _readers(self, articles: Sequence[Mapping[str, Any]]) -> dict[str, tuple[str, ...]]:
        """Each "Can read" criterion's groups, by sys_id; AGENTS_ONLY when it is not only
        groups (or its groups are not all found)."""
        wanted = sorted(
            {c for item in articles for c in _ids(_value(item, "can_read_user_criteria"))}
        )
        if not wanted:
            return {}
        criteria = await self._table(
            "user_criteria",
            f"sys_idIN{','.join(wanted)}",
            f"sys_id,group,match_all,{','.join(OTHER_CRITERIA)}",
        )
        group_ids = sorted({g for c in criteria for g in _ids(str(c.get("group") or ""))})
        groups = (
            {
                str(g["sys_id"]): str(g["name"])
                for g in await self._table(
                    "sys_user_group", f"sys_idIN{','.join(group_ids)}", "sys_id,name"
                )
            }
            if group_ids
            else {}
        )
        readers: dict[str, tuple[str, ...]] = dict.fromkeys(wanted, AGENTS_ONLY)
        for criterion in criteria:
            ids = _ids(str(criterion.get("group") or ""))
            only_groups = not any(str(criterion.get(f) or "") for f in OTHER_CRITERIA)
            all_of = str(criterion.get("match_all") or "false") == "true" and len(ids) > 1
            if ids and only_groups and not all_of and all(g in groups for g in ids):
                readers[str(criterion["sys_id"])] = tuple(groups[g] for g in ids)
        return readers

    def _document(
        self, item: Mapping[str, Any], readers: Mapping[str, tuple[str, ...]]
    ) -> SourceDocument:
        sys_id = _value(item, "sys_id")
        can_read = _ids(_value(item, "can_read_user_criteria"))
        groups: set[str] = {g for c in can_read for g in readers.get(c, AGENTS_ONLY)}
        if _value(item, "cannot_read_user_criteria"):
            groups = set(AGENTS_ONLY)  # an exclusion the directory's groups cannot express
        if len(groups) > len(AGENTS_ONLY) and AGENTS_ONLY[0] in groups:
            groups.discard(AGENTS_ONLY[0])  # agents read it anyway; the groups may too
        parent = _value(item, "parent")
        updated = _value(item, "sys_updated_on")
        return SourceDocument(
            id=f"{ID_PREFIX}{sys_id}",
            title=_value(item, "short_description") or _value(item, "number"),
            body=html_text(_value(item, "text")),
            url=f"{self._base}/kb_view.do?sysparm_article={_value(item, 'number')}",
            language=language_of(_value(item, "language")),
            pair=f"{ID_PREFIX}{parent}" if parent else None,
            groups=tuple(sorted(groups)),
            updated=datetime.strptime(updated, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            if updated
            else None,
            category=_label(item, "kb_category") or _label(item, "kb_knowledge_base"),
        )

    async def health(self) -> SourceHealth:
        try:
            await request(
                self._client, self.name, "GET", "/kb_knowledge_base", refused=REFUSED,
                params={"sysparm_limit": "1", "sysparm_fields": "sys_id"},
            )  # fmt: skip
        except SourceUnavailable as exc:
            return SourceHealth(ok=False, detail=str(exc))
        return SourceHealth(ok=True, detail=self._base)

    async def aclose(self) -> None:
        await self._client.aclose()
