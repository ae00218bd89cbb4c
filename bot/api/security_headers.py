"""The security headers of every response, set in one place (ASGI middleware).

Every response: `X-Content-Type-Options: nosniff` and a `Referrer-Policy`. Guichet's own HTML
pages (console, ticket pages, knowledge-base pages, the demo intranet page): a strict
Content-Security-Policy without inline script or style, framed only by GUICHET_WEB__FRAME_ANCESTORS
(`X-Frame-Options: DENY` when that is 'none'), and `Cache-Control: no-store` when the page is
private (console, ticket pages, password pages, or any page asked for with a session cookie).
The widget's
files under /widget/ are scripts and styles the intranet's own pages load: no page policy.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.auth.deps import SESSION_COOKIE

PRIVATE_PREFIXES = ("/console", "/tickets", "/password")
# FastAPI's API pages load Swagger UI and ReDoc with inline script from a CDN: they get only
# the frame rule.
API_DOCS = ("/docs", "/redoc")


def page_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; "
        f"frame-ancestors {frame_ancestors}"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, frame_ancestors: str) -> None:
        self.app = app
        self.frame_ancestors = frame_ancestors
        self.policy = page_policy(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        cookies = b"".join(value for name, value in scope["headers"] if name == b"cookie")
        private = path.startswith(PRIVATE_PREFIXES) or SESSION_COOKIE.encode() in cookies

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    self._page(headers, path, private)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _page(self, headers: MutableHeaders, path: str, private: bool) -> None:
        docs = path.startswith(API_DOCS)
        headers["Content-Security-Policy"] = (
            f"frame-ancestors {self.frame_ancestors}" if docs else self.policy
        )
        if self.frame_ancestors == "'none'":
            headers["X-Frame-Options"] = "DENY"
        if private:
            headers["Cache-Control"] = "no-store"
