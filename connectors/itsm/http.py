"""One HTTP client for every ITSM backend: explicit timeouts, and HTTP failures as BackendErrors.

The mapping is the contract's: 401/403/400/422 → `BackendRejected`, 404 → `UpstreamNotFound`,
409/412 → `UpstreamConflict`, 429/5xx/timeouts/connection errors → `BackendUnavailable` (with the
server's `Retry-After` in seconds when it sent one).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from bot.kernel.itsm import (
    BackendError,
    BackendRejected,
    BackendUnavailable,
    UpstreamConflict,
    UpstreamNotFound,
)
from connectors.http import MAX_PROBLEM_CHARS, problem_of, retry_after_seconds


def error_for(backend: str, response: httpx.Response) -> BackendError | None:
    """The BackendError an HTTP response stands for, or None when it is a success."""
    code = response.status_code
    if code < 400:
        return None
    problem = problem_of(response)
    if code == 429 or code >= 500:
        return BackendUnavailable(
            backend=backend,
            problem=problem,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    if code == 404:
        return UpstreamNotFound(backend=backend, problem=problem)
    if code in (409, 412):
        return UpstreamConflict(backend=backend, problem=problem)
    return BackendRejected(backend=backend, problem=problem)


class HttpApi:
    """An `httpx.AsyncClient` bound to one backend's base URL, auth and timeout."""

    def __init__(
        self,
        backend: str,
        base_url: str,
        *,
        timeout: float,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.backend = backend
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            headers={"accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(timeout),
            transport=transport,
            follow_redirects=False,
        )

    async def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; any failure is raised as a BackendError."""
        try:
            response = await self._client.request(
                method,
                path.lstrip("/"),
                json=json_body,
                data=form,
                params=params,
                headers=headers,
            )
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(
                backend=self.backend, problem=f"timed out on {method} {path}: {type(exc).__name__}"
            ) from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(
                backend=self.backend, problem=f"{method} {path}: {type(exc).__name__}: {exc}"
            ) from exc
        error = error_for(self.backend, response)
        if error is not None:
            raise error
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request and decode its JSON body (None for an empty body)."""
        response = await self.send(method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except json.JSONDecodeError as exc:
            raise BackendRejected(
                backend=self.backend,
                problem=f"{method} {path} answered {response.status_code} with a body that is "
                f"not JSON: {response.text[:MAX_PROBLEM_CHARS]!r}",
            ) from exc

    def forget_cookies(self) -> None:
        self._client.cookies.clear()

    async def aclose(self) -> None:
        await self._client.aclose()
