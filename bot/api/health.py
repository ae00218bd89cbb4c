"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot.services import Services

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Database reachable, index and models loaded."""
    services = getattr(request.app.state, "services", None)
    checks: dict[str, str] = {}
    if services is None:
        checks["startup"] = "not finished"
    else:
        try:
            await services.database.ping()
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        index = services.knowledge.index
        if index is None:  # missing or damaged: the rest of the service still answers
            checks["index"] = f"unavailable: {services.knowledge.problem}"
        else:
            manifest = index.manifest
            checks["index"] = (
                f"ok ({manifest.entries} entries, {manifest.embedder}, "
                f"version {services.knowledge.version})"
            )
        checks["model"] = f"ok ({services.embedder.name})"
        redis = await _redis(services)
        if redis is not None:
            checks["redis"] = redis
    ready = all(value.startswith("ok") for value in checks.values())
    # Without Redis the service still serves every request, more slowly: it stays in the
    # load balancer (every process would lose the same Redis) and says it is degraded.
    degraded = not ready and all(
        value.startswith("ok") for name, value in checks.items() if name != "redis"
    )
    return JSONResponse(
        status_code=200 if ready or degraded else 503,
        content={
            "status": "ready" if ready else "degraded" if degraded else "not ready",
            "checks": checks,
        },
    )


async def _redis(services: Services) -> str | None:
    if services.scale.link is None:
        return None
    problem = await services.scale.redis_problem()
    if problem is None:
        return "ok"
    return (
        f"unavailable ({problem}); degraded: conversation locks on "
        f"{services.scale.locks.describe()}, new index versions found by polling"
    )
