"""Every HTTP request timed and counted by route template (`/api/v1/tickets/{reference}`,
never the raw path), method and status class: a pure ASGI middleware, one histogram
observation per request through the services' `Observer`."""

from __future__ import annotations

import time

from starlette.datastructures import State
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # a 404 outside every route: one series, whatever was asked
STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}


def route_template(scope: Scope) -> str:
    """The template of the route that answered, with the prefixes of the mounts it is under."""
    route = scope.get("route")
    if route is None:
        return UNMATCHED
    # Each mount moved the matched prefix into root_path; the app's own root_path stays out.
    prefix: str = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    if isinstance(route, Mount):  # a mounted app without routes of its own (static files)
        return prefix or route.path
    return prefix + str(getattr(route, "path", UNMATCHED))


class RequestMetrics:
    """`state` is the app's: its services (opened by the lifespan) hold the observer."""

    def __init__(self, app: ASGIApp, *, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            services = getattr(self.state, "services", None)
            if services is not None:
                method = scope["method"] if scope["method"] in METHODS else "other"
                services.observer.request(
                    route_template(scope),
                    method,
                    STATUS_CLASSES.get(status // 100, "other"),
                    time.perf_counter() - started,
                )
