"""The HTTP client of the directories reached over HTTPS (Entra ID, Keycloak).

An OAuth 2.0 bearer token, fetched from the token endpoint and kept until shortly before it
expires (fetched again once when the API answers 401); 429, 502, 503 and 504 retried after the
`Retry-After` the server asks for when that is short enough; everything the caller cannot act on
raised as `DirectoryUnavailable` with a message that names what failed, and never a secret:
client secrets, passwords and tokens are blotted out of every message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from bot.kernel.directory import DirectoryError, DirectoryUnavailable, HealthCheck
from bot.settings.directory import DirectoryHttpSettings
from connectors.http import problem_of, retry_after_seconds

logger = logging.getLogger(__name__)

RETRYABLE = frozenset({429, 502, 503, 504})
# Fetch a new token this long before the old one expires (clock skew, a slow request).
TOKEN_MARGIN_SECONDS = 60.0
BACKOFF_SECONDS = 0.5  # first wait when a retryable answer has no Retry-After
BLOT = "•••"


@dataclass(frozen=True)
class TokenRequest:
    """A form POSTed to an OAuth 2.0 token endpoint (client credentials or password grant)."""

    url: str
    form: Mapping[str, str]


@dataclass
class _Token:
    value: str
    expires_at: float  # time.monotonic()


class DirectoryHttp:
    def __init__(
        self,
        backend: str,
        settings: DirectoryHttpSettings,
        token_request: TokenRequest,
        *,
        secrets: Iterable[str] = (),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.backend = backend
        self._settings = settings
        self._token_request = token_request
        self._secrets = [s for s in secrets if s]
        self._token: _Token | None = None
        self._token_lock = asyncio.Lock()
        self._client = httpx.AsyncClient(
            headers={"accept": "application/json"},
            timeout=httpx.Timeout(settings.timeout_seconds),
            transport=transport,
            follow_redirects=False,
        )

    def blot(self, text: str, extra: Iterable[str] = ()) -> str:
        """The text without any secret Guichet holds (or `extra`, e.g. a new password)."""
        secrets = [*self._secrets, *(s for s in extra if s)]
        if self._token is not None:
            secrets.append(self._token.value)
        for secret in sorted(secrets, key=len, reverse=True):
            text = text.replace(secret, BLOT)
        return text

    def unavailable(self, problem: str, extra: Iterable[str] = ()) -> DirectoryUnavailable:
        return DirectoryUnavailable(backend=self.backend, problem=self.blot(problem, extra))

    def unexpected(self, response: httpx.Response, extra: Iterable[str] = ()) -> DirectoryError:
        """An answer the backend has no meaning for (a 400 it did not expect, say)."""
        return DirectoryError(backend=self.backend, problem=self.blot(problem_of(response), extra))

    async def token(self) -> str:
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token.expires_at:
                self._token = await self._fetch_token()
            return self._token.value

    async def _fetch_token(self) -> _Token:
        request = self._token_request
        response = await self._send_retrying("POST", request.url, data=dict(request.form))
        if response.status_code != httpx.codes.OK:
            advice = (
                ""
                if response.status_code >= httpx.codes.INTERNAL_SERVER_ERROR
                else "; check the client id, secret and tenant or realm in the settings"
            )
            raise self.unavailable(
                f"could not sign in at {request.url} ({self._oauth_error(response)}){advice}"
            )
        try:
            body = response.json()
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 300))
        except (ValueError, KeyError, TypeError) as exc:
            raise self.unavailable(
                f"the token endpoint {request.url} answered without an access_token"
            ) from exc
        margin = min(TOKEN_MARGIN_SECONDS, lifetime / 2)
        return _Token(value, time.monotonic() + lifetime - margin)

    def _oauth_error(self, response: httpx.Response) -> str:
        """RFC 6749 §5.2: `{"error": ..., "error_description": ...}`."""
        try:
            body = response.json()
            detail = f"{body['error']}: {body.get('error_description', '')}".strip(": ")
        except (ValueError, KeyError, TypeError):
            detail = response.text.strip()[:200]
        return f"HTTP {response.status_code} {detail}".strip()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        redact: Iterable[str] = (),
    ) -> httpx.Response:
        """Send one API call with the bearer token; return any answer the caller may act on
        (2xx, 400, 404, 409); raise `DirectoryUnavailable` for the rest."""
        redact = list(redact)
        for attempt in range(2):
            token = await self.token()
            response = await self._send_retrying(
                method,
                url,
                params=params,
                json=json_body,
                headers={"authorization": f"Bearer {token}"},
                redact=redact,
            )
            if response.status_code == httpx.codes.UNAUTHORIZED and attempt == 0:
                self._token = None  # expired or revoked early: one new token, one more try
                continue
            break
        code = response.status_code
        if code in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            raise self.unavailable(
                f"refused Guichet's own credentials or permissions: {problem_of(response)}",
                redact,
            )
        if code >= httpx.codes.INTERNAL_SERVER_ERROR:
            raise self.unavailable(problem_of(response), redact)
        return response

    async def _send_retrying(
        self, method: str, url: str, *, redact: Iterable[str] = (), **kwargs: Any
    ) -> httpx.Response:
        """Send; after a 429/502/503/504, wait what `Retry-After` asks (or a short backoff) and
        send again, as long as the wait is short enough and retries are left."""
        settings = self._settings
        attempt = 0
        while True:
            response = await self._send(method, url, redact=redact, **kwargs)
            code = response.status_code
            if code not in RETRYABLE:
                return response
            wait = retry_after_seconds(response.headers.get("retry-after"))
            wait = BACKOFF_SECONDS * 2**attempt if wait is None else wait
            if attempt >= settings.retries or wait > settings.max_retry_wait_seconds:
                raise self.unavailable(
                    f"busy, try again in {wait:.0f} s: {problem_of(response)}", redact
                )
            attempt += 1
            logger.info(
                "directory %s: HTTP %s on %s %s, trying again in %.1f s",
                self.backend,
                code,
                method,
                response.request.url.path,
                wait,
            )
            await asyncio.sleep(wait)

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        """An API call that must succeed with a JSON body (or none)."""
        response = await self.request(method, url, **kwargs)
        if not response.is_success:
            raise self.unexpected(response, kwargs.get("redact", ()))
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise self.unexpected(response) from exc

    async def _send(
        self, method: str, url: str, *, redact: Iterable[str] = (), **kwargs: Any
    ) -> httpx.Response:
        try:
            return await self._client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise self.unavailable(
                f"no answer within {self._settings.timeout_seconds:g} s from "
                f"{httpx.URL(url).host} ({method} {httpx.URL(url).path})",
                redact,
            ) from exc
        except httpx.TransportError as exc:
            raise self.unavailable(
                f"cannot reach {httpx.URL(url).host}:{httpx.URL(url).port or ''} "
                f"({type(exc).__name__}: {exc})",
                redact,
            ) from exc

    async def health(
        self, vendor: str, users: str, params: Mapping[str, str], *, hint: str
    ) -> list[HealthCheck]:
        """`guichet doctor`'s two checks: a token is obtained, and a user can be read at `users`
        (`hint` says which permission to grant when none is visible)."""
        try:
            await self.token()
        except DirectoryError as exc:
            return [HealthCheck("directory sign-in", False, str(exc))]
        checks = [HealthCheck("directory sign-in", True, f"{vendor} token obtained")]
        try:
            found = await self.json("GET", users, params=params)
        except DirectoryError as exc:
            return [*checks, HealthCheck("directory lookup", False, str(exc))]
        seen = bool(found.get("value") if isinstance(found, dict) else found)
        detail = "one user read" if seen else f"no user visible: {hint}"
        return [*checks, HealthCheck("directory lookup", seen, f"{vendor}: {detail}")]

    async def aclose(self) -> None:
        await self._client.aclose()
