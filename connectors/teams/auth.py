"""Who may call /api/messages, and the bot's own token for calling the Bot Connector.

Incoming tokens are checked by the Agents SDK's `JwtTokenValidator` (RS256 signature against the
issuer's published keys, audience = the bot's app id, expiry and not-before with the SDK's
five-minute leeway, issuer in the configured list). The only change is where the keys are read
when `GUICHET_TEAMS__JWKS_URL` is set (a self-hosted issuer, the tests' local one).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt
from jwt import PyJWTError
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity
from microsoft_agents.hosting.core.authorization.jwt.jwt_token_validator import (
    JwtTokenValidator,
    _JwkClientCacheEntry,
    _JwkClientManager,
)

from bot.channels.registry import ChannelUnavailable
from bot.settings.teams import TeamsSettings

CHANNEL = "teams"


class Unauthorized(Exception):
    """The request carries no valid Bot Framework token; the route answers 401."""


class _FixedKeys(_JwkClientManager):
    """Reads every issuer's keys from one configured JWKS URL."""

    def __init__(self, jwks_url: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._jwks_url = jwks_url

    def _get_jwk_client(self, jwks_uri: str) -> _JwkClientCacheEntry:
        return super()._get_jwk_client(self._jwks_url)


def auth_configuration(settings: TeamsSettings) -> AgentAuthConfiguration:
    return AgentAuthConfiguration(
        client_id=settings.app_id,
        tenant_id=settings.tenant_id,
        client_secret=settings.app_password.get_secret_value() or None,
        issuers=settings.issuers,
        validate_issuer=True,
        anonymous_allowed=False,
    )


class TokenValidator:
    def __init__(self, settings: TeamsSettings) -> None:
        self._validator = JwtTokenValidator(auth_configuration(settings))
        if settings.jwks_url:
            self._validator._jwk_client_manager = _FixedKeys(settings.jwks_url)

    async def claims(self, authorization: str | None) -> ClaimsIdentity:
        """The verified claims of `Authorization: Bearer <token>`; Unauthorized otherwise."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("a Bearer token is required")
        try:
            header = jwt.get_unverified_header(token.strip())
        except PyJWTError as exc:
            raise Unauthorized(f"{type(exc).__name__}: {exc}") from exc
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            # the SDK looks the key up by `kid` unchecked: a KeyError (a 500) without one
            raise Unauthorized("the token's header names no signing key ('kid')")
        try:
            return await self._validator.validate_token(token.strip())
        except (PyJWTError, ValueError, LookupError, TypeError) as exc:
            raise Unauthorized(type(exc).__name__) from exc


class ClientCredentials:
    """The bot's access token for the Bot Connector (OAuth client credentials), cached."""

    def __init__(self, settings: TeamsSettings) -> None:
        tenant = settings.tenant_id or "botframework.com"
        self._url = settings.token_url or (
            f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
        )
        self._form = {
            "grant_type": "client_credentials",
            "client_id": settings.app_id,
            "client_secret": settings.app_password.get_secret_value(),
            "scope": settings.token_scope,
        }
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token and self._token[1] > time.monotonic():
                return self._token[0]
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    response = await client.post(self._url, data=self._form)
                    response.raise_for_status()
                    body: dict[str, Any] = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise ChannelUnavailable(
                    channel=CHANNEL, reason=f"no token from {self._url}: {exc}"
                ) from exc
            lifetime = float(body.get("expires_in", 3600))
            self._token = (str(body["access_token"]), time.monotonic() + max(lifetime - 300, 30))
            return self._token[0]
