"""The `IdentityProvider` plug-in point: verify the user with a second factor, then unlock the
account or hand out a one-time reset link. Guichet never sees, asks for or stores a password."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from bot.kernel.domain import utcnow
from bot.kernel.registry import Registry

log = logging.getLogger("guichet.identity")
CODE_LIFETIME = timedelta(minutes=10)
LINK_LIFETIME = timedelta(minutes=15)
MAX_CODE_ATTEMPTS = 3


@dataclass(frozen=True)
class Factor:
    """One way the account receives codes: `kind` is "sms", "voice", "email" or "app"."""

    id: str
    kind: str
    address: str  # masked: "+33 6 •• •• •• 42"


@dataclass(frozen=True)
class Account:
    user: str
    second_factor: str  # how the code is sent by default, masked: "+33 6 •• •• •• 42"
    locked: bool
    factors: tuple[Factor, ...] = ()  # every way codes can be sent, the default first


class IdentityProvider(Protocol):
    """The organisation's directory (Entra ID, Okta, Keycloak, ...), as seen by the bot.

    `send_code` sends a one-time code through the account's registered second factor (or
    the one of `account.factors` whose id is `factor`); a new code replaces the previous one.
    `verify_code` checks it (at most MAX_CODE_ATTEMPTS tries per code). Only after a
    successful check may the bot call `unlock` or `reset_link`.
    """

    name: str

    async def lookup(self, user: str) -> Account | None: ...

    async def send_code(self, user: str, factor: str | None = None) -> None: ...

    async def verify_code(self, user: str, code: str) -> bool: ...

    async def unlock(self, user: str) -> None: ...

    async def reset_link(self, user: str) -> str: ...


@dataclass
class _Pending:
    digest: str
    expires: datetime
    attempts: int = 0


@dataclass
class BuiltinIdentityProvider:
    """A demonstration directory: every e-mail address of `domain` is an account whose codes
    are "sent" to the log and kept in `sent` (a real deployment plugs in its IdP instead)."""

    domain: str = "norvane.example"
    portal: str = "https://password.norvane.example/reset"
    name: str = "builtin"
    locked: set[str] = field(default_factory=set)
    sent: list[tuple[str, str]] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)  # the factor each code went through
    _codes: dict[str, _Pending] = field(default_factory=dict)

    async def lookup(self, user: str) -> Account | None:
        if not user.lower().endswith("@" + self.domain):
            return None
        digits = f"{int(hashlib.sha256(user.encode()).hexdigest(), 16) % 100:02d}"
        phone = f"+33 6 •• •• •• {digits}"
        return Account(
            user=user,
            second_factor=phone,
            locked=user in self.locked,
            factors=(Factor("sms", "sms", phone), Factor("voice", "voice", phone)),
        )

    async def send_code(self, user: str, factor: str | None = None) -> None:
        code = f"{secrets.randbelow(1_000_000):06d}"
        self._codes[user] = _Pending(digest=self._digest(code), expires=utcnow() + CODE_LIFETIME)
        self.sent.append((user, code))
        self.channels.append(factor or "sms")
        log.info("one-time code sent to the second factor of %s", user)

    async def verify_code(self, user: str, code: str) -> bool:
        pending = self._codes.get(user)
        if pending is None or pending.expires < utcnow():
            return False
        pending.attempts += 1
        if pending.attempts > MAX_CODE_ATTEMPTS:
            del self._codes[user]
            return False
        if hmac.compare_digest(pending.digest, self._digest(code)):
            del self._codes[user]
            return True
        return False

    async def unlock(self, user: str) -> None:
        self.locked.discard(user)

    async def reset_link(self, user: str) -> str:
        token = secrets.token_urlsafe(24)
        return f"{self.portal}?token={token}&expires={int(LINK_LIFETIME.total_seconds())}"

    @staticmethod
    def _digest(code: str) -> str:
        return hashlib.sha256(code.encode()).hexdigest()


IDENTITY_PROVIDERS: Registry[Callable[[], IdentityProvider]] = Registry("identity provider")
IDENTITY_PROVIDERS.register("builtin", BuiltinIdentityProvider)
