"""The host portal's signed token: who the employee is, checked on every widget request.

Format: a JWT signed HS256 with the shared `portal_key` or RS256 with the portal's private key,
with the claims `email` (the user id on every channel), `aud` (the configured audience), `exp`,
and `iss` when an issuer is configured; `name` is optional.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from bot.kernel.domain import utcnow
from bot.kernel.errors import NotAuthenticated
from bot.settings import Environment, Settings
from bot.settings.web import WebSettings

DEMO_ISSUER = "guichet-demo-portal"
DEMO_KEY_FILE = "demo-portal.key"
MIN_DEMO_KEY = 32
logger = logging.getLogger(__name__)
_demo_keys: dict[Path, str] = {}  # per data dir, for this process
MAX_EMAIL = 255


@dataclass(frozen=True)
class WebUser:
    email: str
    expires: datetime
    name: str | None = None


def demo_key(settings: Settings) -> str | None:
    """In development with no portal key configured, the demo portal's key: random, kept in
    GUICHET_DATA_DIR (`demo-portal.key`, readable by the owner only) so that tokens outlive a
    restart and every process of one data dir shares it; per process when it cannot be kept.

    It was derived from the secret key, whose development default is public: anyone could
    sign a widget token naming anyone (issue 13, row 16).
    """
    web = settings.web
    if settings.environment is not Environment.DEVELOPMENT:
        return None
    if web.portal_key or web.portal_public_key:
        return None
    path = Path(settings.data_dir) / DEMO_KEY_FILE
    key = _demo_keys.get(path)
    if key is None:
        key = _demo_keys[path] = _kept_key(path)
    return key


def _kept_key(path: Path) -> str:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    except OSError as error:
        logger.warning("demo portal key %s unreadable (%s): one per process", path, error)
        return secrets.token_urlsafe(32)
    key = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first: theirs
        return _read_key(path)
    except OSError as error:
        logger.warning("demo portal key not kept in %s (%s): one per process", path, error)
        return key
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


def _read_key(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < MIN_DEMO_KEY:
        raise OSError(f"{path} holds no key")
    return key


class PortalTokens:
    """Checks tokens against the configured keys; `NotAuthenticated` says what is wrong."""

    def __init__(self, web: WebSettings, *, demo_key: str | None = None) -> None:
        self.web = web
        self._keys: dict[str, str] = {}
        hs = web.portal_key.get_secret_value() if web.portal_key else demo_key
        if hs:
            self._keys["HS256"] = hs
        if web.portal_public_key:
            self._keys["RS256"] = web.portal_public_key
        self.issuer = web.token_issuer or (DEMO_ISSUER if demo_key and not web.portal_key else None)

    @property
    def configured(self) -> bool:
        return bool(self._keys)

    def verify(self, token: str | None) -> WebUser:
        if not token:
            raise NotAuthenticated(
                reason="no token; chat and actions need the portal's signed token "
                "(header 'Authorization: Bearer <token>'), the knowledge base does not"
            )
        if not self._keys:
            raise _refused("no portal key is configured (GUICHET_WEB__PORTAL_KEY)")
        try:
            algorithm = jwt.get_unverified_header(token).get("alg")
        except jwt.DecodeError:
            raise _refused("the token is not a JWT") from None
        key = self._keys.get(str(algorithm))
        if key is None:
            raise _refused(
                f"token algorithm {algorithm!r} is not accepted; "
                f"expected {' or '.join(sorted(self._keys))}"
            )
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self.web.token_audience,
                issuer=self.issuer,
                leeway=self.web.token_leeway_seconds,
                options={"require": ["exp", "aud", "email", *(["iss"] if self.issuer else [])]},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise _refused(f"the token's audience is not {self.web.token_audience!r}") from None
        except jwt.InvalidIssuerError:
            raise _refused(f"the token's issuer is not {self.issuer!r}") from None
        except jwt.InvalidSignatureError:
            raise _refused("the token's signature does not match the portal key") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _refused(f"the token has no {exc.claim!r} claim") from None
        except jwt.ImmatureSignatureError:
            raise _refused("the token is not valid yet") from None
        except jwt.InvalidTokenError as exc:
            raise _refused(f"the token is invalid: {exc}") from None
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email or len(email) > MAX_EMAIL:
            raise _refused("the token's 'email' claim is not an e-mail address")
        name = claims.get("name")
        return WebUser(
            email=email.strip().lower(),
            expires=datetime.fromtimestamp(int(claims["exp"]), UTC),
            name=name if isinstance(name, str) else None,
        )


def mint_token(
    email: str,
    key: str,
    *,
    audience: str = "guichet",
    issuer: str | None = None,
    lifetime: timedelta = timedelta(hours=1),
    algorithm: str = "HS256",
    name: str | None = None,
) -> str:
    """What a portal does (the demo portal and the tests): sign a token for `email`."""
    now = utcnow()
    claims: dict[str, object] = {"email": email, "aud": audience, "iat": now, "exp": now + lifetime}
    if issuer:
        claims["iss"] = issuer
    if name:
        claims["name"] = name
    return jwt.encode(claims, key, algorithm=algorithm)


def _refused(reason: str) -> NotAuthenticated:
    """A token was sent and is not acceptable (RFC 6750 `invalid_token`)."""
    return NotAuthenticated(reason=reason, bearer_error="invalid_token")
