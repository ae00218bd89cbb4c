"""`TicketBackend` for Zammad (`/api/v1/`), token auth.

Guichet's reference lives in a ticket object attribute (an admin adds it once under Objects);
changes made upstream come from the ticket history (state, owner) and the public articles.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.kernel.itsm import TicketPayload, UpstreamChange, UpstreamNotFound, UpstreamTicket
from bot.kernel.tickets import Status
from bot.settings.itsm import ZammadSettings, require
from connectors.itsm.common import as_utc, comment_text, plain_text
from connectors.itsm.http import HttpApi
from connectors.itsm.zammad import translate

SEARCH_LIMIT = 200


def _ticket(upstream_id: str) -> str:
    if not upstream_id.isdigit():
        raise UpstreamNotFound(backend="zammad", problem=f"{upstream_id!r} is not a ticket id")
    return f"tickets/{upstream_id}"


def _found(answer: Any) -> list[dict[str, Any]]:
    """Search answers a list with `expand=true`, or ids plus assets without it."""
    if isinstance(answer, list):
        return answer
    assets = (answer or {}).get("assets", {}).get("Ticket", {})
    return [assets[str(i)] for i in (answer or {}).get("tickets", []) if str(i) in assets]


def _article_text(article: dict[str, Any]) -> str:
    body = str(article.get("body") or "")
    return plain_text(body) if "html" in str(article.get("content_type")) else body.strip()


class ZammadBackend:
    name = "zammad"

    def __init__(self, settings: ZammadSettings, *, timeout: float) -> None:
        base_url = require(settings.base_url, "zammad__base_url")
        token = require(settings.token.get_secret_value(), "zammad__token")
        self._api = HttpApi(
            self.name,
            f"{base_url}/api/v1",
            timeout=timeout,
            headers={"authorization": f"Token token={token}"},
        )
        self._group = settings.group
        self._reference = settings.reference_attribute
        self._me: int | None = None

    async def _search(self, query: str) -> list[dict[str, Any]]:
        answer = await self._api.json(
            "GET",
            "tickets/search",
            params={
                "query": query,
                "expand": "true",
                "limit": SEARCH_LIMIT,
                "sort_by": "updated_at",
                "order_by": "asc",
            },
        )
        return _found(answer)

    async def create(self, payload: TicketPayload) -> str:
        found = await self._search(f'{self._reference}:"{payload.reference}"')
        existing = [t for t in found if t.get(self._reference) == payload.reference]
        if existing:
            return str(min(int(t["id"]) for t in existing))
        created = await self._api.json(
            "POST",
            "tickets",
            json_body=translate.create_body(
                payload,
                group=self._group,
                reference_attribute=self._reference,
                now=datetime.now(UTC),
            ),
        )
        return str(created["id"])

    async def get(self, upstream_id: str) -> UpstreamTicket:
        data = await self._api.json("GET", _ticket(upstream_id), params={"expand": "true"})
        return translate.to_ticket(data, self._reference)

    async def update_status(self, upstream_id: str, status: Status) -> None:
        await self._api.json(
            "PUT", _ticket(upstream_id), json_body=translate.state_body(status, datetime.now(UTC))
        )

    async def comment(self, upstream_id: str, text: str, *, author: str | None = None) -> None:
        _ticket(upstream_id)
        await self._api.json(
            "POST",
            "ticket_articles",
            json_body={
                "ticket_id": int(upstream_id),
                "body": comment_text(text, author),
                "content_type": "text/plain",
                "type": "note",
                "internal": False,
            },
        )

    async def changes_since(self, since: datetime) -> list[UpstreamChange]:
        since = as_utc(since)
        me = await self._my_id()
        query = (
            f'updated_at:>"{translate.zammad_query_datetime(since)}" AND _exists_:{self._reference}'
        )
        changes: list[UpstreamChange] = []
        for ticket in await self._search(query):
            changes += await self._history(str(ticket["id"]), since, me)
            changes += await self._articles(str(ticket["id"]), since, me)
        return sorted(changes, key=lambda change: change.at)

    async def _my_id(self) -> int:
        if self._me is None:
            self._me = int((await self._api.json("GET", "users/me"))["id"])
        return self._me

    async def _history(self, ticket_id: str, since: datetime, me: int) -> list[UpstreamChange]:
        answer = await self._api.json("GET", f"ticket_history/{ticket_id}")
        changes = []
        for entry in answer.get("history") or []:
            at = translate.zammad_datetime(entry["created_at"])
            kind = {"state": "status", "owner": "assignee"}.get(str(entry.get("attribute")))
            if kind is None or at <= since or entry.get("created_by_id") == me:
                continue
            value = str(entry.get("value_to") or "")
            base = {"upstream_id": ticket_id, "at": at, "author": str(entry["created_by_id"])}
            if kind == "status":
                status = translate.FROM_STATE.get(value, "in_progress")
                changes.append(UpstreamChange(kind="status", status=status, **base))
            else:
                owner = None if value in ("", translate.NOBODY) else value
                changes.append(UpstreamChange(kind="assignee", assignee=owner, **base))
        return changes

    async def _articles(self, ticket_id: str, since: datetime, me: int) -> list[UpstreamChange]:
        articles = await self._api.json("GET", f"ticket_articles/by_ticket/{ticket_id}")
        return [
            UpstreamChange(
                upstream_id=ticket_id,
                at=translate.zammad_datetime(article["created_at"]),
                kind="comment",
                comment=_article_text(article),
                author=str(article.get("from") or article.get("created_by_id")),
            )
            for article in articles or []
            if not article.get("internal")
            and article.get("created_by_id") != me
            and translate.zammad_datetime(article["created_at"]) > since
        ]

    async def aclose(self) -> None:
        await self._api.aclose()
