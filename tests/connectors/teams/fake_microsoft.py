"""A local token issuer (RSA keys, JWKS over HTTP) and a local Bot Connector service.

The issuer signs the tokens the Bot Connector puts on activities it sends to the bot, and gives
the bot its own token (OAuth client credentials), like Entra / the Bot Framework token service.
The connector answers like the Bot Connector REST API (v3): replies, new messages in a
conversation, and conversation members (TeamsChannelAccount, with e-mail and UPN).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

APP_ID = "3f1c8b52-9d3e-4b8e-8f0a-5b2e1d7c9a41"
APP_PASSWORD = "local-bot-password"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CONNECTOR_AUDIENCE = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TokenIssuer:
    url: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    kid: str = "guichet-test-key-1"
    issued: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/keys", self._keys),
                Route("/.well-known/openid-configuration", self._metadata),
                Route("/token", self._token, methods=["POST"]),
            ]
        )

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        lifetime: float = 600,
    ) -> str:
        now = int(time.time())
        body = {"iss": self.url, "nbf": now - 5, "iat": now - 5, "exp": now + int(lifetime)}
        body.update(claims)
        return jwt.encode(
            body, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def activity_token(self, service_url: str, **overrides: Any) -> str:
        """The token the Bot Connector sends with an activity: for the bot, about service_url."""
        claims: dict[str, Any] = {"aud": APP_ID, "serviceurl": service_url}
        key, kid, lifetime = (
            overrides.pop("key", None),
            overrides.pop("kid", None),
            overrides.pop("lifetime", 600),
        )
        claims.update(overrides)
        return self.sign(claims, key=key, kid=kid, lifetime=lifetime)

    def verify_bot_token(self, token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            self.key.public_key(),
            algorithms=["RS256"],
            audience=CONNECTOR_AUDIENCE,
            issuer=self.url,
        )
        return claims

    async def _keys(self, _: Request) -> JSONResponse:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return JSONResponse({"keys": [jwk]})

    async def _metadata(self, _: Request) -> JSONResponse:
        return JSONResponse(
            {
                "issuer": self.url,
                "jwks_uri": f"{self.url}/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint": f"{self.url}/token",
            }
        )

    async def _token(self, request: Request) -> JSONResponse:
        form = await request.form()
        if (form.get("client_id"), form.get("client_secret")) != (APP_ID, APP_PASSWORD):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "AADSTS7000215"}, status_code=401
            )
        self.issued.append(dict(form))
        token = self.sign({"aud": CONNECTOR_AUDIENCE, "appid": APP_ID, "tid": TENANT})
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            }
        )


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    email: str
    aad_object_id: str = field(default_factory=lambda: str(uuid.uuid4()))


MEMBERS = {
    "29:1ann": Member("29:1ann", "Ann Martin", "ann.martin@norvane.example"),
    "29:1bea": Member("29:1bea", "Béa Durand", "bea.durand@norvane.example"),
}


@dataclass
class Posted:
    conversation_id: str
    reply_to: str | None
    activity: dict[str, Any]
    token_claims: dict[str, Any]


@dataclass
class FakeConnector:
    """The Bot Connector service under /v3, trusting tokens of `issuer` only."""

    issuer: TokenIssuer
    url: str = ""
    posted: list[Posted] = field(default_factory=list)
    member_lookups: list[str] = field(default_factory=list)
    down: bool = False
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v3/conversations/{cid}/activities", self._send, methods=["POST"]),
                Route("/v3/conversations/{cid}/activities/{aid}", self._send, methods=["POST"]),
                Route("/v3/conversations/{cid}/members/{mid}", self._member, methods=["GET"]),
            ]
        )

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Posted]:
        """Block until `count` activities were posted; the first `count` of them (more may have
        come meanwhile)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.posted) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.posted)} activities posted, wanted {count}")
                self._changed.wait(left)
            return self.posted[:count]

    def _claims(self, request: Request) -> dict[str, Any] | None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer":
            return None
        try:
            return self.issuer.verify_bot_token(token)
        except jwt.PyJWTError:
            return None

    async def _send(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": {"code": "ServiceError"}}, status_code=503)
        claims = self._claims(request)
        if claims is None:
            return JSONResponse(
                {"error": {"code": "Unauthorized", "message": "Authorization has been denied"}},
                status_code=401,
            )
        posted = Posted(
            conversation_id=request.path_params["cid"],
            reply_to=request.path_params.get("aid"),
            activity=await request.json(),
            token_claims=claims,
        )
        with self._changed:
            self.posted.append(posted)
            self._changed.notify_all()
        return JSONResponse({"id": f"1:{next(self._ids)}"}, status_code=201)

    async def _member(self, request: Request) -> JSONResponse:
        if self._claims(request) is None:
            return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
        self.member_lookups.append(request.path_params["mid"])
        member = MEMBERS.get(request.path_params["mid"])
        if member is None:
            return JSONResponse(
                {"error": {"code": "MemberNotFoundInConversation", "message": "not found"}},
                status_code=404,
            )
        given, _, surname = member.name.partition(" ")
        return JSONResponse(
            {
                "id": member.id,
                "name": member.name,
                "aadObjectId": member.aad_object_id,
                "givenName": given,
                "surname": surname,
                "email": member.email,
                "userPrincipalName": member.email,
                "tenantId": TENANT,
                "userRole": "user",
            }
        )


def personal_message(
    connector_url: str,
    member_id: str,
    *,
    text: str | None = None,
    value: dict[str, Any] | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """A message in the bot's personal chat, as Teams sends it."""
    member = MEMBERS[member_id]
    activity: dict[str, Any] = {
        "type": "message",
        "id": f"{int(time.time() * 1000)}",
        "timestamp": "2026-11-23T12:00:00.000Z",
        "localTimestamp": "2026-11-23T13:00:00.000+01:00",
        "serviceUrl": connector_url,
        "channelId": "msteams",
        "from": {"id": member.id, "name": member.name, "aadObjectId": member.aad_object_id},
        "conversation": {
            "conversationType": "personal",
            "tenantId": TENANT,
            "id": f"a:1personal-{member_id.removeprefix('29:')}",
        },
        "recipient": {"id": f"28:{APP_ID}", "name": "Guichet"},
        "textFormat": "plain",
        "locale": locale,
        "entities": [{"locale": locale, "country": "FR", "platform": "Web", "type": "clientInfo"}],
        "channelData": {"tenant": {"id": TENANT}},
    }
    if text is not None:
        activity["text"] = text
    if value is not None:
        activity["value"] = value
    return activity


def app_installed(connector_url: str, member_id: str) -> dict[str, Any]:
    """The conversation update Teams sends when a user adds the bot to their personal chat."""
    activity = personal_message(connector_url, member_id)
    activity.update(
        {
            "type": "conversationUpdate",
            "membersAdded": [{"id": f"28:{APP_ID}"}],
            "channelData": {"tenant": {"id": TENANT}, "eventType": "personalMemberAdded"},
        }
    )
    for key in ("textFormat", "entities"):
        activity.pop(key, None)
    return activity
