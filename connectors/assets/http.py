"""One HTTP client for the inventories: explicit timeouts, every failure `InventoryUnavailable`.

An inventory is only read, to help: when it fails the conversation goes on without devices, so
one error type is enough (its message says what happened).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from bot.kernel.assets import InventoryUnavailable
from connectors.http import problem_of


class InventoryApi:
    def __init__(
        self,
        backend: str,
        base_url: str,
        *,
        timeout: float,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.backend = backend
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            headers={"accept": "application/json", **(headers or {})},
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
        )

    async def json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request and decode its JSON body; any failure is InventoryUnavailable."""
        try:
            response = await self._client.request(
                method, path.lstrip("/"), params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise InventoryUnavailable(
                backend=self.backend, problem=f"{method} {path}: {type(exc).__name__}: {exc}"
            ) from exc
        if response.status_code >= 300:
            raise InventoryUnavailable(backend=self.backend, problem=problem_of(response))
        try:
            return response.json() if response.content else None
        except json.JSONDecodeError as exc:
            raise InventoryUnavailable(
                backend=self.backend, problem=f"{method} {path}: not JSON: {response.text[:200]!r}"
            ) from exc

    async def aclose(self) -> None:
        await self._client.aclose()
