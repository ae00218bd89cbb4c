"""HTTP helpers shared by the backend families (ITSM, directory), which never import each
other: reading `Retry-After` and summing up a failed response for an error message."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

MAX_PROBLEM_CHARS = 300


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` is either a number of seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def problem_of(response: httpx.Response) -> str:
    """`HTTP 404 on GET /path: <start of the body>`, on one line."""
    text = response.text.strip().replace("\n", " ")
    summary = (
        f"HTTP {response.status_code} on {response.request.method} {response.request.url.path}"
    )
    return f"{summary}: {text[:MAX_PROBLEM_CHARS]}" if text else summary
