"""Put the console on the app: its JSON API, its pages (approvals too) and files, single sign-on
if set."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from bot.auth import routes as access
from bot.console import api, approvals, pages
from bot.settings import Environment, Settings


def install(app: FastAPI, settings: Settings) -> None:
    app.include_router(access.router)  # /api/v1/me, /api/v1/audit
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(approvals.router)  # /console/approvals, /api/v1/approvals
    app.mount(
        "/console/static",
        StaticFiles(packages=[("bot.console", "static")]),
        name="console-static",
    )
    oidc = settings.auth.oidc
    if oidc.issuer:
        from starlette.middleware.sessions import SessionMiddleware

        from bot.console.oidc import oidc_router

        secure = settings.auth.cookie_secure
        app.add_middleware(
            SessionMiddleware,  # holds the OAuth state and nonce during the redirect only
            secret_key=settings.secret_key.get_secret_value(),
            session_cookie="guichet_oidc",
            max_age=600,
            same_site="lax",
            https_only=secure
            if secure is not None
            else settings.environment != Environment.DEVELOPMENT,
        )
        app.include_router(oidc_router(oidc))
