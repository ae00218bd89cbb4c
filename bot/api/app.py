"""`create_app(settings)`: the FastAPI application. Nothing heavy happens at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from bot import __version__
from bot.api import conversations, health, tickets
from bot.api import nlu as nlu_routes
from bot.api import suggest as suggest_routes
from bot.api.errors import install_error_handlers
from bot.channels.runtime import mount_channels, running_channels
from bot.scale.index_versions import IndexWatcher
from bot.services import Services, open_services, sync_worker
from bot.settings import Settings
from connectors.rasa_rest import routes as rasa_rest
from connectors.web import mount as web_widget


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The app; `services` lets a caller that already opened them share them (tests, CLI)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = services or await open_services(settings)
        app.state.services = opened
        web_widget.start(app, opened)
        worker = sync_worker(opened) if settings.tickets.run_sync_worker else None
        stop = asyncio.Event()
        task = (
            asyncio.create_task(worker.run(stop, settings.tickets.sync_interval_seconds))
            if worker
            else None
        )
        watcher = IndexWatcher(
            opened.knowledge, opened.scale.link, poll_seconds=settings.scale.index_poll_seconds
        )
        watching = asyncio.create_task(watcher.run(stop))
        try:
            async with running_channels(app, opened):
                yield
        finally:
            stop.set()
            await watching
            if task is not None:
                await task
            if worker is not None:
                await worker.aclose()
            if services is None:
                await opened.close()

    app = FastAPI(
        title="Guichet",
        version=__version__,
        lifespan=lifespan,
        description="Bilingual IT-support assistant: chat, knowledge base, tickets.",
    )
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(suggest_routes.router)
    app.include_router(tickets.router)
    app.include_router(rasa_rest.router)
    app.include_router(nlu_routes.router)
    mount_channels(app, settings)

    web_widget.install(app, settings)  # `/`: the demo intranet page in development

    return app
