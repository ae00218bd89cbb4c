"""`GET /metrics`: the Prometheus text format, for agents and admins (a bearer token or a
session), like the agent routes; Prometheus sends a token (`authorization` in its scrape
configuration, docs/operations/observability.md)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from bot.api.deps import ServicesDep
from bot.auth import AgentUser
from bot.kernel.domain import utcnow
from bot.kernel.errors import NotFound
from bot.observability.metrics import CONTENT_TYPE, PrometheusObserver
from bot.observability.state import read_state
from bot.storage.operations import OperationsReader

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}},
)
async def metrics(services: ServicesDep, _agent: AgentUser) -> Response:
    """Counters of every worker, and the outbox, SLA and index gauges read now."""
    observer = services.observer
    if not isinstance(observer, PrometheusObserver):  # services opened with metrics off
        raise NotFound(kind="route", key="/metrics (GUICHET_METRICS__ENABLED is false)")
    state = await read_state(
        OperationsReader(services.database),
        services.knowledge,
        services.settings.tickets.sync_backends,
        utcnow(),
    )
    return Response(observer.render(state), media_type=CONTENT_TYPE)
