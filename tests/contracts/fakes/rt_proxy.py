"""A pass-through proxy in front of the real Request Tracker, so tests can order the failures RT
itself never gives on demand (429, 5xx, a hang); every other request reaches RT unchanged."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from tests.contracts.fakes.faults import FaultMiddleware, Faults

FORWARDED_REQUEST = ("authorization", "content-type", "accept", "if-match", "cookie", "origin")
FORWARDED_RESPONSE = ("content-type", "location", "etag", "retry-after", "set-cookie")


def rt_error(status: int) -> object:
    """REST2's error body, as in RT::REST2::Util::error_as_json."""
    return {"message": {429: "Too Many Requests", 409: "Conflict"}.get(status, "Server Error")}


def rt_proxy(upstream: str, faults: Faults) -> ASGIApp:
    async def forward(request: Request) -> Response:
        headers = {k: v for k, v in request.headers.items() if k in FORWARDED_REQUEST}
        async with httpx.AsyncClient(base_url=upstream, timeout=60) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.url.query.encode(),
                headers=headers,
                content=await request.body(),
            )
        kept = {k: v for k, v in answer.headers.items() if k in FORWARDED_RESPONSE}
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    app = Starlette(
        routes=[Route("/{path:path}", forward, methods=["GET", "POST", "PUT", "DELETE"])]
    )
    return FaultMiddleware(app, faults, rt_error)
