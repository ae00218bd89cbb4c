"""A local Confluence Cloud for the tests: the REST API calls the Confluence source makes, with
their documented payloads, over pages a test creates, edits, restricts, trashes and purges.

- `GET /wiki/rest/api/content?spaceKey&type&status&expand&start&limit`: `{"results", "start",
  "limit", "size", "_links": {"base", "context", "next"?}}`; `limit` capped by the server;
  `_links.next` relative to `_links.base`:
  https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content/#api-wiki-rest-api-content-get
  and https://developer.atlassian.com/cloud/confluence/pagination/
- `GET /wiki/rest/api/content/{id}?expand=body.storage,version` (404 for a trashed page unless
  `status=trashed`): .../api-group-content/#api-wiki-rest-api-content-id-get
- Expansions (`version`, `body.storage`, `metadata.labels`, `ancestors`,
  `restrictions.read.restrictions.group|user`); what is not expanded is listed in
  `_expandable`: https://developer.atlassian.com/cloud/confluence/expansions/ and
  .../api-group-content-restrictions/
- `GET /wiki/rest/api/space/{key}`: .../api-group-space/#api-wiki-rest-api-space-spacekey-get
- Basic auth with an e-mail and API token, 401 otherwise:
  https://developer.atlassian.com/cloud/confluence/basic-auth-for-rest-apis/
- Labels and restrictions change without a new version; trashing keeps the page with
  `status=trashed`, purging removes it.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.faults import FaultMiddleware, Faults

EMAIL = "guichet-bot@norvane.example"
API_TOKEN = "ATATT3xFfGF0-confluence-token-7c1"
PAGE_SIZE = 3  # the server's cap on `limit`, small so that paging is exercised
CONTEXT = "/wiki"


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "statusCode": status,
            "data": {"authorized": status != 401, "valid": True, "errors": [], "successful": False},
            "message": message,
        },
        status,
    )


def fault_body(status: int) -> object:
    return {"statusCode": status, "message": "Service Unavailable"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _collection(results: list[Any]) -> dict[str, Any]:
    return {"results": results, "start": 0, "limit": 200, "size": len(results)}


@dataclass
class Page:
    id: str
    space: str
    title: str
    storage: str
    parent: str | None = None
    labels: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    version: int = 1
    when: str = field(default_factory=_now)
    status: str = "current"


@dataclass
class ConfluenceCloud:
    spaces: dict[str, str] = field(default_factory=lambda: {"IT": "IT support", "HR": "HR"})
    pages: dict[str, Page] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    url: str = ""
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(98305))

    # What people do in Confluence.
    def create_page(
        self,
        space: str,
        title: str,
        storage: str,
        *,
        parent: str | None = None,
        labels: tuple[str, ...] = (),
        groups: tuple[str, ...] = (),
        users: tuple[str, ...] = (),
    ) -> str:
        with self.lock:
            page_id = str(next(self._ids))
            self.pages[page_id] = Page(
                page_id, space, title, storage, parent, list(labels), list(groups), list(users)
            )
            return page_id

    def edit_page(
        self, page_id: str, *, title: str | None = None, storage: str | None = None
    ) -> None:
        with self.lock:
            page = self.pages[page_id]
            page.title = title or page.title
            page.storage = storage if storage is not None else page.storage
            page.version += 1
            page.when = _now()

    def set_labels(self, page_id: str, labels: tuple[str, ...]) -> None:
        with self.lock:
            self.pages[page_id].labels = list(labels)

    def restrict(self, page_id: str, groups: tuple[str, ...], users: tuple[str, ...] = ()) -> None:
        with self.lock:
            self.pages[page_id].groups, self.pages[page_id].users = list(groups), list(users)

    def trash(self, page_id: str) -> None:
        with self.lock:
            self.pages[page_id].status = "trashed"

    def purge(self, page_id: str) -> None:
        with self.lock:
            del self.pages[page_id]

    # The REST API.
    def _ancestors(self, page: Page) -> list[Page]:
        chain: list[Page] = []
        parent = page.parent
        while parent is not None and parent in self.pages:
            chain.insert(0, self.pages[parent])
            parent = self.pages[parent].parent
        return chain

    def _content(self, page: Page, expand: set[str]) -> dict[str, Any]:
        webui = f"/spaces/{page.space}/pages/{page.id}/{quote_plus(page.title)}"
        found: dict[str, Any] = {
            "id": page.id,
            "type": "page",
            "status": page.status,
            "title": page.title,
            "_links": {
                "webui": webui,
                "tinyui": f"/x/{page.id}",
                "self": f"{self.url}{CONTEXT}/rest/api/content/{page.id}",
            },
        }
        expandable: dict[str, str] = {}
        if "version" in expand:
            found["version"] = {
                "by": {
                    "type": "known",
                    "accountId": "5b10ac8d82e05b22cc7d4ef5",
                    "displayName": "Sam Taylor",
                },
                "when": page.when,
                "number": page.version,
                "minorEdit": False,
            }
        else:
            expandable["version"] = ""
        if "body.storage" in expand:
            found["body"] = {
                "storage": {
                    "value": page.storage,
                    "representation": "storage",
                    "embeddedContent": [],
                }
            }
        else:
            expandable["body"] = ""
        if "metadata.labels" in expand:
            labels = [
                {"prefix": "global", "name": n, "id": str(abs(hash(n)) % 10**6), "label": n}
                for n in page.labels
            ]
            found["metadata"] = {"labels": _collection(labels)}
        if "ancestors" in expand:
            found["ancestors"] = [
                {"id": a.id, "type": "page", "status": a.status, "title": a.title}
                for a in self._ancestors(page)
            ]
        else:
            expandable["ancestors"] = ""
        read: dict[str, Any] = {}
        if "restrictions.read.restrictions.group" in expand:
            read["group"] = _collection(
                [{"type": "group", "name": g, "id": f"g-{g}"} for g in page.groups]
            )
        if "restrictions.read.restrictions.user" in expand:
            read["user"] = _collection(
                [{"type": "known", "accountId": u, "displayName": u} for u in page.users]
            )
        if read:
            found["restrictions"] = {"read": {"operation": "read", "restrictions": read}}
        else:
            expandable["restrictions"] = ""
        found["_expandable"] = expandable
        return found

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        expected = base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
        return header == f"Basic {expected}"

    async def list_content(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return error(401, "Client must be authenticated to access this resource.")
        query = request.query_params
        expand = set(filter(None, query.get("expand", "").split(",")))
        start = int(query.get("start", "0"))
        limit = min(int(query.get("limit", "25")), PAGE_SIZE)
        with self.lock:
            self.requests += 1
            matching = [
                p
                for p in sorted(self.pages.values(), key=lambda p: int(p.id))
                if p.space == query.get("spaceKey", p.space)
                and p.status == query.get("status", "current")
                and query.get("type", "page") == "page"
            ]
            results = [self._content(p, expand) for p in matching[start : start + limit]]
        links: dict[str, str] = {
            "base": f"{self.url}{CONTEXT}",
            "context": CONTEXT,
            "self": f"{self.url}{CONTEXT}/rest/api/content",
        }
        if start + limit < len(matching):
            following = {**dict(query), "start": str(start + limit), "limit": str(limit)}
            links["next"] = f"/rest/api/content?{urlencode(following)}"
        return JSONResponse(
            {
                "results": results,
                "start": start,
                "limit": limit,
                "size": len(results),
                "_links": links,
            }
        )

    async def get_content(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return error(401, "Client must be authenticated to access this resource.")
        page_id = request.path_params["id"]
        expand = set(filter(None, request.query_params.get("expand", "").split(",")))
        with self.lock:
            self.requests += 1
            page = self.pages.get(page_id)
            status = request.query_params.get("status", "current")
            if page is None or page.status != status:
                return error(404, f"No content found with id: ContentId{{id={page_id}}}")
            return JSONResponse(self._content(page, expand))

    async def get_space(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return error(401, "Client must be authenticated to access this resource.")
        key = request.path_params["key"]
        if key not in self.spaces:
            return error(404, f"No space found with key : {key}")
        return JSONResponse(
            {
                "id": 1000 + len(key),
                "key": key,
                "name": self.spaces[key],
                "type": "global",
                "status": "current",
                "_links": {"webui": f"/spaces/{key}"},
            }
        )

    def app(self) -> ASGIApp:
        routes = [
            Route(f"{CONTEXT}/rest/api/content", self.list_content),
            Route(f"{CONTEXT}/rest/api/content/{{id}}", self.get_content),
            Route(f"{CONTEXT}/rest/api/space/{{key}}", self.get_space),
        ]
        return FaultMiddleware(Starlette(routes=routes), self.faults, fault_body)
