"""`create_app(settings)`: the FastAPI application. Nothing heavy happens at import time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from bot import __version__
from bot.api import conversations, health, tickets
from bot.api import insights as insights_routes
from bot.api import nlu as nlu_routes
from bot.api import notices as notice_routes
from bot.api import suggest as suggest_routes
from bot.api.body_limit import BodySizeLimit
from bot.api.errors import ERROR_RESPONSES, install_error_handlers
from bot.api.rate_limit import rate_limit
from bot.api.security_headers import SecurityHeaders
from bot.app.channels import channel_plugins
from bot.app.services import open_services, problem_sync_worker, sync_worker
from bot.app.sources import source_scheduler
from bot.auth.token_cache import follow as follow_revocations
from bot.channels.runtime import mount_channels, running_channels
from bot.console import insights as console_insights
from bot.console import mount as console
from bot.observability import route as metrics_route
from bot.observability.access import RequestLog
from bot.observability.http import RequestMetrics
from bot.observability.tracing import Tracing
from bot.privacy.retention import run_purges
from bot.protection.ratelimit import RateLimits
from bot.protection.sign_in import SignInThrottle
from bot.scale.index_versions import IndexWatcher
from bot.self_service import pages as password_pages
from bot.services import Services
from bot.settings import Settings
from bot.tickets import pages as ticket_pages


def create_app(
    settings: Settings, services: Services | None = None, *, tracing: Tracing | None = None
) -> FastAPI:
    """The app; `services` lets a caller that already opened them share them (tests, CLI).

    `tracing`: by default, OTLP traces when `GUICHET_OTEL__ENDPOINT` is set, else none.
    """
    tracing = tracing or Tracing.configured(settings.otel)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = services or await open_services(settings)
        app.state.services = opened
        if tracing is not None:
            tracing.start(opened.database.engine)
        worker = sync_worker(opened) if settings.tickets.run_sync_worker else None
        stop = asyncio.Event()
        task = (
            asyncio.create_task(worker.run(stop, settings.tickets.sync_interval_seconds))
            if worker
            else None
        )
        # Problems copied to the ITSM tools that have problem records, beside the tickets.
        problem_worker = problem_sync_worker(opened) if settings.tickets.run_sync_worker else None
        problem_task = (
            asyncio.create_task(problem_worker.run(stop, settings.tickets.sync_interval_seconds))
            if problem_worker
            else None
        )
        watcher = IndexWatcher(
            opened.knowledge, opened.scale.link, poll_seconds=settings.scale.index_poll_seconds
        )
        watching = asyncio.create_task(watcher.run(stop))
        # Knowledge sources synced on their intervals (only when some are enabled).
        sources = source_scheduler(opened)
        syncing_sources = asyncio.create_task(sources.run(stop)) if sources else None
        # Token revocations announced by other processes (and the CLI) empty the token cache.
        revocations = asyncio.create_task(
            follow_revocations(opened.auth.token_cache, opened.events, stop)
        )
        reminding = (
            asyncio.create_task(
                opened.approvals.run(stop, settings.approvals.check_interval_seconds)
            )
            if settings.approvals.run_worker
            else None
        )
        purging = (
            asyncio.create_task(run_purges(opened.database, settings.privacy, stop))
            if settings.privacy.run_purge
            else None
        )
        try:
            async with running_channels(app, opened):
                yield
        finally:
            stop.set()
            await watching
            if syncing_sources is not None:
                await syncing_sources
            await revocations
            if purging is not None:
                await purging
            if reminding is not None:
                await reminding
            await app.state.rate_limits.aclose()
            if task is not None:
                await task
            if problem_task is not None:
                await problem_task
            if problem_worker is not None:
                await problem_worker.aclose()
            if worker is not None:
                await worker.aclose()
            if services is None:
                await opened.close()
            if tracing is not None:
                tracing.stop()

    app = FastAPI(
        title="Guichet",
        version=__version__,
        lifespan=lifespan,
        description="Bilingual IT-support assistant: chat, knowledge base, tickets.",
    )
    install_error_handlers(app)
    # Every route added from here on counts against the caller's rate limits.
    app.state.rate_limits = RateLimits(settings.limits, settings.redis_url)
    app.router.dependencies.append(Depends(rate_limit))
    app.state.sign_in_throttle = SignInThrottle(
        settings.limits.sign_in, app.state.rate_limits.pool, settings.limits.redis_key_prefix
    )
    app.router.responses.update(ERROR_RESPONSES)
    app.add_middleware(BodySizeLimit, max_bytes=settings.limits.max_body_bytes)
    app.add_middleware(SecurityHeaders, frame_ancestors=settings.web.frame_ancestors)
    if settings.metrics.enabled:
        app.add_middleware(RequestMetrics, state=app.state)
        app.include_router(metrics_route.router)  # /metrics, for agents and admins
    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(suggest_routes.router)
    app.include_router(tickets.router)
    app.include_router(ticket_pages.router)  # /tickets: the employee's ticket pages
    app.include_router(password_pages.router)  # /password: reset page, demo inbox
    app.include_router(nlu_routes.router)
    console.install(app, settings)  # /console pages, /api/v1/escalations
    console_insights.install(app)  # /console/gaps, /console/notices, /console/kpis
    app.include_router(insights_routes.router)
    app.include_router(notice_routes.router)
    # The channels last: in development the web channel serves `/`, the demo intranet page.
    mount_channels(app, settings, channel_plugins())
    # The outermost of the app's middleware (added last): the request's id is set before
    # anything else runs, and the access line sees every answer (a CORS preflight's too).
    app.add_middleware(RequestLog, access=settings.log.access)
    if tracing is not None:
        tracing.instrument_app(app)  # the outermost middleware: a server span per request
    return app
