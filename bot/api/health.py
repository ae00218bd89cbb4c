"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

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
            checks["index"] = f"ok ({manifest.entries} entries, {manifest.embedder})"
        checks["model"] = f"ok ({services.embedder.name})"
    ready = all(value.startswith("ok") for value in checks.values())
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not ready", "checks": checks},
    )
