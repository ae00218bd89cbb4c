"""The console's insight pages: knowledge gaps, incident notices, KPIs, problems."""

from __future__ import annotations

from fastapi import FastAPI

from bot.console import changes, gaps, kpis, notices, problems


def install(app: FastAPI) -> None:
    app.include_router(gaps.router)
    app.include_router(notices.router)
    app.include_router(kpis.router)
    app.include_router(changes.router)
    app.include_router(problems.router)
