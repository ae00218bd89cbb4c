"""Settings of what an operator watches: `/metrics` (`GUICHET_METRICS__*`), traces
(`GUICHET_OTEL__*`) and the service's logs (`GUICHET_LOG__*`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator


class MetricsSettings(BaseModel):
    enabled: bool = Field(
        True, description="serve `/metrics` (Prometheus text format) to agents and admins"
    )
    multiprocess_dir: Path | None = Field(
        None,
        description="where the processes of `guichet serve --workers N` write their metrics "
        "for `/metrics` to add up (prometheus-client's multi-process mode); a local folder, "
        "emptied at start-up. Unset: a temporary folder made by `guichet serve`",
    )


class LogSettings(BaseModel):
    """The service's log lines on stderr (docs/operations/observability.md, Logs);
    their level is `GUICHET_LOG_LEVEL`."""

    format: Literal["json", "text"] | None = Field(
        None,
        description="`json`: one JSON object per line (time, level, logger, message, request "
        "and conversation ids); `text`: one readable line. Unset: `text` in development, "
        "`json` elsewhere",
    )
    access: bool = Field(
        True,
        description="one line per HTTP request (method, route template, status, duration, "
        "request id, client address); uvicorn's own access log is always off",
    )


class OtelSettings(BaseModel):
    endpoint: str | None = Field(
        None,
        description="the OTLP/HTTP collector traces are sent to, e.g. "
        "`http://otel-collector:4318` (spans go to `/v1/traces` under it); unset: no tracing "
        "at all",
    )
    service_name: str = Field(
        "guichet", min_length=1, max_length=100, description="`service.name` of the spans"
    )
    sample_ratio: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="share of traces kept (of the requests that start one; a trace started "
        "upstream keeps its caller's decision)",
    )

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "an http(s) URL of an OTLP/HTTP collector, e.g. 'http://otel-collector:4318'"
            )
        return value.strip().rstrip("/")
