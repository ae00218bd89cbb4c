"""A local SharePoint Online behind Microsoft Graph for the tests: the client-credentials token
and the site-page calls the SharePoint source makes, with their documented payloads.

- Token, `POST /{tenant}/oauth2/v2.0/token` and its AADSTS errors (the Entra fake's):
  https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
- `GET /v1.0/sites/{site-id}` and `/sites/{hostname}:/{server-relative-path}`:
  https://learn.microsoft.com/en-us/graph/api/site-get
- `GET /v1.0/sites/{site-id}/pages/microsoft.graph.sitePage` with `$select` and `$top`, paged
  with `@odata.nextLink`, sorted by name: https://learn.microsoft.com/en-us/graph/api/sitepage-list
  and https://learn.microsoft.com/en-us/graph/paging
- `GET /v1.0/sites/{site-id}/pages/{page-id}/microsoft.graph.sitePage?$expand=canvasLayout`
  (horizontal sections, columns, text web parts' `innerHtml`):
  https://learn.microsoft.com/en-us/graph/api/sitepage-get and
  https://learn.microsoft.com/en-us/graph/api/resources/canvaslayout
- Errors `{"error": {"code", "message", "innerError"}}`: https://learn.microsoft.com/en-us/graph/errors
- Translations in a language folder of Site Pages (`SitePages/fr/Name.aspx`):
  https://support.microsoft.com/en-us/office/create-multilingual-sharepoint-sites-pages-and-news-2bb7d610-5453-41c6-a0e8-6f40b3ed750c
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.entra import aadsts_error, fault_body, graph_error
from tests.contracts.fakes.faults import FaultMiddleware, Faults

TENANT = "5d2e8f10-3b4c-4d6e-9f70-1a2b3c4d5e6f"
CLIENT_ID = "c7a1e0d2-9b8f-4e3d-a6c5-0f1e2d3c4b5a"
CLIENT_SECRET = "Sp8~sharepoint.secret-value_9d2"
HOSTNAME = "norvane.sharepoint.com"
SITE_PATH = "/sites/helpdesk"
SITE_ID = f"{HOSTNAME},0a9d7c3e-4b1f-4f2a-8e6d-5c4b3a291807,7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918"
PAGE_SIZE = 2  # the server's page size, small so that paging is exercised
TOKEN_SECONDS = 3599


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SitePage:
    id: str
    name: str
    title: str
    html: str
    folder: str = ""  # "fr" for a translation
    description: str = ""
    version: int = 1
    published: bool = True
    modified: str = field(default_factory=_now)

    @property
    def e_tag(self) -> str:
        return f'"{{{self.id.upper()}}},{self.version}"'


@dataclass
class SharePointOnline:
    pages: dict[str, SitePage] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    url: str = ""
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # What people do in SharePoint.
    def create_page(
        self,
        title: str,
        html: str,
        *,
        folder: str = "",
        name: str | None = None,
        published: bool = True,
    ) -> str:
        with self.lock:
            page_id = str(uuid.uuid4())
            file_name = name or f"{title.replace(' ', '-')}.aspx"
            self.pages[page_id] = SitePage(
                page_id, file_name, title, html, folder, published=published
            )
            return page_id

    def edit_page(self, page_id: str, *, title: str | None = None, html: str | None = None) -> None:
        with self.lock:
            page = self.pages[page_id]
            page.title = title or page.title
            page.html = html if html is not None else page.html
            page.version += 1
            page.modified = _now()

    def delete_page(self, page_id: str) -> None:
        with self.lock:
            del self.pages[page_id]

    # The identity platform.
    async def token(self, request: Request) -> JSONResponse:
        form = await request.form()
        with self.lock:
            self.token_requests += 1
        if request.path_params["tenant"] != TENANT:
            return aadsts_error(
                400,
                "invalid_request",
                90002,
                f"Tenant '{request.path_params['tenant']}' not found.",
            )
        if form.get("grant_type") != "client_credentials":
            return aadsts_error(400, "unsupported_grant_type", 70003, "Unsupported grant type.")
        if form.get("client_id") != CLIENT_ID:
            return aadsts_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was "
                "not found in the directory.",
            )
        if form.get("client_secret") != CLIENT_SECRET:
            return aadsts_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") != "https://graph.microsoft.com/.default":
            return aadsts_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope')} is not valid.",
            )
        value = secrets.token_urlsafe(48)
        with self.lock:
            self.tokens.add(value)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": TOKEN_SECONDS,
                "ext_expires_in": TOKEN_SECONDS,
                "access_token": value,
            }
        )

    # Microsoft Graph.
    def _authorized(self, request: Request) -> bool:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return scheme == "Bearer" and value in self.tokens

    def _site_url(self) -> str:
        return f"https://{HOSTNAME}{SITE_PATH}"

    def _page(self, page: SitePage, select: set[str] | None, canvas: bool) -> dict[str, Any]:
        folder = f"{page.folder}/" if page.folder else ""
        found: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.sitePage",
            "id": page.id,
            "name": page.name,
            "title": page.title,
            "webUrl": f"{self._site_url()}/SitePages/{folder}{page.name}",
            "description": page.description,
            "eTag": page.e_tag,
            "pageLayout": "article",
            "promotionKind": "page",
            "showComments": True,
            "showRecommendedPages": False,
            "createdDateTime": page.modified,
            "lastModifiedDateTime": page.modified,
            "contentType": {"id": "0x0101009D1CB255DA76424F860D91F20E6C4118", "name": "Site Page"},
            "parentReference": {"siteId": SITE_ID.split(",")[1]},
            "publishingState": {
                "level": "published" if page.published else "checkout",
                "versionId": f"{page.version}.0" if page.published else f"0.{page.version}",
            },
            "createdBy": {
                "user": {"displayName": "Sam Taylor", "email": "sam.taylor@norvane.example"}
            },
        }
        if select is not None:
            found = {k: v for k, v in found.items() if k in select | {"@odata.type", "id"}}
        if canvas:
            found["canvasLayout"] = {
                "horizontalSections": [
                    {
                        "layout": "oneColumn",
                        "id": "1",
                        "emphasis": "none",
                        "columns": [
                            {
                                "id": "1",
                                "width": 12,
                                "webparts": [
                                    {
                                        "@odata.type": "#microsoft.graph.textWebPart",
                                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, page.id)),
                                        "innerHtml": page.html,
                                    },
                                ],
                            }
                        ],
                    }
                ],
            }
        return found

    async def site(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        wanted = request.path_params["site"]
        if wanted not in {SITE_ID, f"{HOSTNAME}:{SITE_PATH}"}:
            return graph_error(404, "itemNotFound", "Requested site could not be found")
        return JSONResponse(
            {
                "id": SITE_ID,
                "name": "helpdesk",
                "displayName": "Help desk",
                "webUrl": self._site_url(),
            }
        )

    async def list_pages(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if request.path_params["site"] != SITE_ID:
            return graph_error(404, "itemNotFound", "Requested site could not be found")
        query = request.query_params
        select = set(query["$select"].split(",")) if "$select" in query else None
        top = min(int(query.get("$top", "100")), PAGE_SIZE)
        skip = int(query.get("$skiptoken", "0"))
        with self.lock:
            ordered = sorted(self.pages.values(), key=lambda p: (p.folder, p.name.lower()))
            value = [self._page(p, select, canvas=False) for p in ordered[skip : skip + top]]
        context = f"https://graph.microsoft.com/v1.0/$metadata#sites('{SITE_ID}')/pages"
        body: dict[str, Any] = {
            "@odata.context": f"{context}/microsoft.graph.sitePage",
            "value": value,
        }
        if skip + top < len(ordered):
            following = {k: v for k, v in query.items() if k != "$skiptoken"}
            following["$skiptoken"] = str(skip + top)
            body["@odata.nextLink"] = (
                f"{self.url}/v1.0/sites/{SITE_ID}/pages/microsoft.graph.sitePage?"
                f"{urlencode(following)}"
            )
        return JSONResponse(body)

    async def get_page(self, request: Request) -> JSONResponse:
        if not self._authorized(request):
            return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        with self.lock:
            page = self.pages.get(request.path_params["page"])
            if request.path_params["site"] != SITE_ID or page is None:
                return graph_error(404, "itemNotFound", "The page could not be found.")
            canvas = "canvasLayout" in request.query_params.get("$expand", "")
            found = self._page(page, None, canvas=canvas)
        found["@odata.context"] = (
            f"https://graph.microsoft.com/v1.0/$metadata#sites('{SITE_ID}')/pages/"
            "microsoft.graph.sitePage/$entity"
        )
        return JSONResponse(found)

    def app(self) -> ASGIApp:
        routes = [
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
            Route("/v1.0/sites/{site}/pages/microsoft.graph.sitePage", self.list_pages),
            Route("/v1.0/sites/{site}/pages/{page}/microsoft.graph.sitePage", self.get_page),
            Route("/v1.0/sites/{site:path}", self.site),
        ]
        return FaultMiddleware(Starlette(routes=routes), self.faults, fault_body)
