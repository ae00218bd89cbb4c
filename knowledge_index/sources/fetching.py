"""HTTP for the sources reached over the web (Confluence, Microsoft Graph): every failure the
sync cannot act on becomes `SourceUnavailable`, naming what failed and never a secret.

An optional OAuth 2.0 client-credentials token is fetched on first use and kept until shortly
before it expires (fetched again once when the API answers 401). Nothing is retried here: a
source that fails is tried again at its next sync, and the last good content keeps serving.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from knowledge_index.sources.protocol import SourceUnavailable

TOKEN_MARGIN_SECONDS = 60.0
BLOT = "•••"


@dataclass(frozen=True)
class ClientCredentials:
    """An OAuth 2.0 token endpoint and the client-credentials form posted to it."""

    url: str
    form: Mapping[str, str]


def _detail(response: httpx.Response) -> str:
    """The vendor's own words on an error: Graph's `error.message`, OAuth's
    `error_description`, Confluence's `message`, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
        if isinstance(error, str):
            return f"{error}: {body.get('error_description', '')}".strip(": ")[:300]
        if body.get("message"):
            return str(body["message"])[:300]
    return str(body)[:200]


class SourceHttp:
    """One source's HTTP client."""

    def __init__(
        self,
        source: str,
        *,
        timeout_seconds: float,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        token: ClientCredentials | None = None,
        secrets: Iterable[str] = (),
        advice: str = "",
    ) -> None:
        self.source = source
        self._token_request = token
        self._token: tuple[str, float] | None = None
        self._secrets = [secret for secret in secrets if secret]
        self._advice = advice
        self._client = httpx.AsyncClient(
            headers={"accept": "application/json", **(headers or {})},
            auth=auth,
            timeout=timeout_seconds,
            follow_redirects=False,
        )

    def _blot(self, text: str) -> str:
        secrets = [*self._secrets, *([self._token[0]] if self._token else [])]
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, BLOT)
        return text

    def unavailable(self, problem: str) -> SourceUnavailable:
        return SourceUnavailable(source=self.source, problem=self._blot(problem))

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            host = httpx.URL(url).host or url
            raise self.unavailable(f"{host} unreachable: {exc!r}") from exc

    async def _bearer(self) -> str:
        assert self._token_request is not None
        if self._token is not None and time.monotonic() < self._token[1]:
            return self._token[0]
        request = self._token_request
        answer = await self._send("POST", request.url, data=dict(request.form))
        if answer.status_code >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise self.unavailable(
                f"sign-in failed at {request.url}: HTTP {answer.status_code} {_detail(answer)}"
            )
        if answer.status_code != httpx.codes.OK:
            raise self.unavailable(
                f"sign-in refused by {request.url} (HTTP {answer.status_code} "
                f"{_detail(answer)}){self._advice}"
            )
        try:
            body = answer.json()
            value, lifetime = str(body["access_token"]), float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise self.unavailable(f"{request.url} answered without an access_token") from exc
        self._token = (value, time.monotonic() + lifetime - min(TOKEN_MARGIN_SECONDS, lifetime / 2))
        return value

    async def get(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a JSON document; raise `SourceUnavailable` for anything but a 2xx with JSON."""
        for attempt in range(2):
            headers = {}
            if self._token_request is not None:
                headers["authorization"] = f"Bearer {await self._bearer()}"
            answer = await self._send("GET", url, params=params, headers=headers)
            if answer.status_code == httpx.codes.UNAUTHORIZED and self._token and attempt == 0:
                self._token = None  # expired or revoked early: one new token, one more try
                continue
            break
        path = answer.request.url.path
        if answer.status_code in {401, 403}:
            raise self.unavailable(
                f"{path} refused ({answer.status_code} {_detail(answer)}){self._advice}"
            )
        if answer.status_code >= 400:
            raise self.unavailable(f"GET {path}: HTTP {answer.status_code} {_detail(answer)}")
        try:
            return answer.json()
        except ValueError as exc:
            raise self.unavailable(f"GET {path}: not JSON") from exc

    async def aclose(self) -> None:
        await self._client.aclose()
