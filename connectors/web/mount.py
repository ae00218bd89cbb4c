"""Wiring the widget into the app: routes, static files, pages, CORS and the `web` channel."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api.rate_limit import add_caller_check
from bot.channels.protocol import ChatChannel
from bot.kernel.errors import NotAuthenticated
from bot.services import Services
from bot.settings import Environment, Settings
from connectors.web import routes
from connectors.web.demo import demo_router
from connectors.web.pages import article_router
from connectors.web.push import CHANNEL, MemoryEventLog, WebChannel
from connectors.web.redis_events import RedisEventLog
from connectors.web.tokens import PortalTokens, demo_key

STATIC = Path(__file__).resolve().parent / "static"
CORS_PATHS = ("/widget/",)


class WidgetCors:
    """CORS on the widget's paths for the configured origins only: any other origin gets no
    CORS header at all, and its preflight a 403 that says why."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        self.app = app
        self.origins = set(origins)
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(CORS_PATHS):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        origin = headers.get(b"origin", b"").decode("latin-1")
        if origin and origin in self.origins:
            await self.cors(scope, receive, send)
            return
        preflight = scope["method"] == "OPTIONS" and b"access-control-request-method" in headers
        if preflight:
            response = PlainTextResponse(
                f"origin {origin!r} may not use the widget; allowed: "
                f"{', '.join(sorted(self.origins)) or 'none'} (GUICHET_WEB__ALLOWED_ORIGINS)",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def widget_caller(tokens: PortalTokens, request: Request) -> str | None:
    """The employee a valid portal token names, for the per-user rate limits."""
    if not request.url.path.startswith(routes.PREFIX):
        return None
    try:
        return tokens.verify(routes.bearer(request.headers.get("authorization"))).email
    except NotAuthenticated:
        return None


def install(app: FastAPI, settings: Settings) -> None:
    """Mount the widget; in development, `/` is the demo intranet page, else the API docs."""
    web = settings.web
    demo_secret = demo_key(settings)
    tokens = PortalTokens(web, demo_key=demo_secret)
    events = MemoryEventLog(keep=web.events_kept)
    app.state.widget = routes.Widget(
        settings=web, tokens=tokens, events=events, channel=WebChannel(events)
    )
    app.include_router(routes.router)
    add_caller_check(app, partial(widget_caller, tokens))
    development = settings.environment is Environment.DEVELOPMENT
    signing_key = web.portal_key.get_secret_value() if web.portal_key else demo_secret
    demo = development and signing_key is not None
    app.include_router(article_router(demo=demo))
    if demo and signing_key is not None:
        app.include_router(
            demo_router(key=signing_key, audience=web.token_audience, issuer=tokens.issuer)
        )
    else:

        @app.get("/", include_in_schema=False)
        async def root() -> RedirectResponse:
            return RedirectResponse("/docs")

    app.mount("/widget", StaticFiles(directory=STATIC), name="widget")
    app.add_middleware(WidgetCors, origins=web.allowed_origins)


def start(app: FastAPI, services: Services) -> ChatChannel:
    """At start-up: the `web` channel that joins the services' channels (one per Services:
    another app on the same services shares it); with Redis, pushed messages go through it, so
    every process's widgets get them."""
    widget: routes.Widget = app.state.widget
    if CHANNEL in services.channels.names():
        existing = services.channels.get(CHANNEL)
        if isinstance(existing, WebChannel):
            widget.channel, widget.events = existing, existing.events
        return widget.channel
    if services.scale.link is not None:
        widget.events = RedisEventLog(services.scale.link, keep=widget.settings.events_kept)
        widget.channel = WebChannel(widget.events)
    return widget.channel


class WebPlugin:
    """The widget and the omnibox: always mounted; `/` is the demo intranet in development."""

    name = CHANNEL

    def enabled(self, settings: Settings) -> bool:
        return True

    def mount(self, app: FastAPI, settings: Settings) -> Callable[[Services], ChatChannel]:
        install(app, settings)
        return lambda services: start(app, services)
