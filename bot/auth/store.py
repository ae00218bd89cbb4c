"""Users, bearer tokens, console sessions and the audit log, in the database.

Tokens and session ids are random 256-bit values shown once; only their SHA-256 is stored, so a
copy of the database lets nobody in. Passwords are Argon2id hashes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select, update

from bot.auth.passwords import hash_password, needs_rehash, verify_password
from bot.auth.roles import Principal, Role, check_role, lesser
from bot.auth.token_cache import TokenCache, announce
from bot.events.protocol import EventBus
from bot.kernel.domain import utcnow
from bot.kernel.errors import Conflict, InvalidRequest, NotAuthenticated, NotFound
from bot.privacy.redact import marker
from bot.storage.conversations import as_utc
from bot.storage.database import Database
from bot.storage.tables import ApiTokenRow, AuditRow, SessionRow, UserRow

TOKEN_PREFIX = "gch_"
# Verified on an unknown e-mail too, so response time does not tell which e-mails exist.
# Written once with today's parameters (a hash of "not-a-real-password-0") instead of hashed
# at import, which cost every process a hash; tests/bot/auth/test_store.py checks that it is
# still at the parameters `hash_password` uses.
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$9UyCY2IAr26+WLeKMSy34w"
    "$BvebzuU4FSI3ZKEN51G66aoKwN55HEOHFOFmnEfBbxw"
)


# What a sign-in's e-mail field must look like to be recorded as typed (RFC 5322's atoms).
_PLAUSIBLE_EMAIL = re.compile(
    r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,63}"
)


def sign_in_identifier(typed: str) -> str:
    """What a sign-in's identifier is recorded as: the e-mail address, or a marker when what
    was typed is no e-mail address (a password typed into the wrong field, say)."""
    email = typed.strip().lower()
    plausible = len(email) <= 255 and _PLAUSIBLE_EMAIL.fullmatch(email)
    return email if plausible else marker("identifier")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 255 or any(c.isspace() for c in email):
        raise InvalidRequest(field="email", problem=f"{email!r} is not an e-mail address")
    return email


class User(BaseModel):
    id: int
    email: str
    display_name: str
    role: Role
    active: bool
    has_password: bool
    created_at: datetime


class TokenInfo(BaseModel):
    id: int
    user: str
    role: Role
    label: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    role: str
    action: str
    target_kind: str
    target: str
    data: dict[str, Any]


class NewSession(BaseModel):
    cookie_value: str  # the raw session id; the app signs it into the cookie
    csrf_token: str
    expires_at: datetime


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=check_role(row.role),
        active=row.active,
        has_password=row.password_hash is not None,
        created_at=as_utc(row.created_at),
    )


class AuthStore:
    """`token_cache_seconds` > 0 remembers verified tokens that long (see bot/auth/token_cache);
    revocations and user changes are announced on `events` to the other processes."""

    def __init__(
        self,
        database: Database,
        *,
        session_minutes: int = 480,
        token_cache_seconds: float = 0.0,
        events: EventBus | None = None,
    ) -> None:
        self._sessions = database.sessions
        self.session_lifetime = timedelta(minutes=session_minutes)
        self.token_cache = TokenCache(token_cache_seconds)
        self.events = events

    # -- users --------------------------------------------------------------------------------

    async def create_user(
        self,
        email: str,
        *,
        role: Role,
        display_name: str | None = None,
        password: str | None = None,
    ) -> User:
        email, role = normalise_email(email), check_role(role)
        password_hash = hash_password(password) if password is not None else None
        async with self._sessions.begin() as session:
            if await session.scalar(select(UserRow.id).where(UserRow.email == email)):
                raise Conflict(reference=email, problem="user exists", allowed="another e-mail")
            row = UserRow(
                email=email,
                display_name=(display_name or email.split("@")[0]).strip()[:200],
                role=role,
                password_hash=password_hash,
                active=True,
                created_at=utcnow(),
            )
            session.add(row)
            await session.flush()
            return _user(row)

    async def user(self, email: str) -> User | None:
        async with self._sessions() as session:
            row = await session.scalar(select(UserRow).where(UserRow.email == email.lower()))
        return _user(row) if row else None

    async def users(self) -> list[User]:
        async with self._sessions() as session:
            rows = (await session.scalars(select(UserRow).order_by(UserRow.email))).all()
        return [_user(row) for row in rows]

    async def ensure_user(self, email: str, *, role: Role, display_name: str | None = None) -> User:
        """The user with this e-mail, created with `role` and no password if new."""
        return await self.user(normalise_email(email)) or await self.create_user(
            email, role=role, display_name=display_name
        )

    async def update_user(
        self,
        email: str,
        *,
        role: Role | None = None,
        active: bool | None = None,
        password: str | None = None,
    ) -> User:
        async with self._sessions.begin() as session:
            row = await session.scalar(select(UserRow).where(UserRow.email == email.lower()))
            if row is None:
                raise NotFound(kind="user", key=email)
            if role is not None:
                row.role = check_role(role)
            if active is not None:
                row.active = active
            if password is not None:
                row.password_hash = hash_password(password)
            user = _user(row)
        self.token_cache.forget(user_id=user.id)
        await announce(self.events, {"type": "user_changed", "user_id": user.id})
        return user

    async def authenticate(self, email: str, password: str) -> User:
        """The user whose password this is; NotAuthenticated (same reason) otherwise."""
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(UserRow).where(UserRow.email == email.strip().lower())
            )
            if row is None or row.password_hash is None:
                verify_password(DUMMY_HASH, password)
                raise NotAuthenticated(reason="wrong e-mail or password")
            if not verify_password(row.password_hash, password) or not row.active:
                raise NotAuthenticated(reason="wrong e-mail or password")
            if needs_rehash(row.password_hash):
                row.password_hash = hash_password(password)
            return _user(row)

    # -- bearer tokens --------------------------------------------------------------------------

    async def create_token(
        self,
        email: str,
        *,
        role: Role,
        label: str = "",
        expires_in: timedelta | None = None,
    ) -> tuple[TokenInfo, str]:
        """A new token for the user (created without a password if unknown); the secret is
        returned once and never stored."""
        user = await self.ensure_user(email, role=role)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = utcnow()
        async with self._sessions.begin() as session:
            row = ApiTokenRow(
                token_hash=digest(secret),
                user_id=user.id,
                role=check_role(role),
                label=label[:200],
                created_at=now,
                expires_at=now + expires_in if expires_in else None,
                revoked_at=None,
                last_used_at=None,
            )
            session.add(row)
            await session.flush()
            info = TokenInfo(
                id=row.id,
                user=user.email,
                role=row.role,
                label=row.label,
                created_at=now,
                expires_at=row.expires_at,
                revoked_at=None,
            )
        return info, secret

    async def revoke_token(self, token_or_id: str) -> TokenInfo:
        """Revoke by the token itself or by its id (as `guichet token list` shows it)."""
        where = (
            ApiTokenRow.id == int(token_or_id)
            if token_or_id.isdigit()
            else ApiTokenRow.token_hash == digest(token_or_id.strip())
        )
        async with self._sessions.begin() as session:
            row = await session.scalar(select(ApiTokenRow).where(where))
            if row is None:
                raise NotFound(kind="token", key=token_or_id[:12])
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            email = await session.scalar(select(UserRow.email).where(UserRow.id == row.user_id))
            info = self._token_info(row, email or "")
        self.token_cache.forget(token_id=info.id)
        await announce(self.events, {"type": "token_revoked", "token_id": info.id})
        return info

    async def tokens(self) -> list[TokenInfo]:
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(ApiTokenRow, UserRow.email)
                    .join(UserRow, UserRow.id == ApiTokenRow.user_id)
                    .order_by(ApiTokenRow.id)
                )
            ).all()
        return [self._token_info(row, email) for row, email in rows]

    @staticmethod
    def _token_info(row: ApiTokenRow, email: str) -> TokenInfo:
        return TokenInfo(
            id=row.id,
            user=email,
            role=check_role(row.role),
            label=row.label,
            created_at=as_utc(row.created_at),
            expires_at=as_utc(row.expires_at) if row.expires_at else None,
            revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
        )

    async def principal_for_token(self, secret: str) -> Principal:
        now, token_digest = utcnow(), digest(secret)
        cached = self.token_cache.get(token_digest, now)
        if cached is not None:
            return cached
        generation = self.token_cache.generation
        principal, expires_at = await self._check_token(token_digest, now)
        self.token_cache.put(token_digest, principal, expires_at, generation=generation)
        return principal

    async def _check_token(
        self, token_digest: str, now: datetime
    ) -> tuple[Principal, datetime | None]:
        """The token's principal and expiry, from the database; NotAuthenticated if refused."""
        async with self._sessions.begin() as session:
            found = (
                await session.execute(
                    select(ApiTokenRow, UserRow)
                    .join(UserRow, UserRow.id == ApiTokenRow.user_id)
                    .where(ApiTokenRow.token_hash == token_digest)
                )
            ).first()
            if found is None:
                raise NotAuthenticated(reason="unknown token", bearer_error="invalid_token")
            token, user = found
            if token.revoked_at is not None:
                raise NotAuthenticated(reason="token revoked", bearer_error="invalid_token")
            if token.expires_at is not None and as_utc(token.expires_at) <= now:
                raise NotAuthenticated(reason="token expired", bearer_error="invalid_token")
            if not user.active:
                raise NotAuthenticated(reason="user disabled", bearer_error="invalid_token")
            # One write a minute at most per token, not one per request.
            if token.last_used_at is None or as_utc(token.last_used_at) < now - timedelta(
                minutes=1
            ):
                await session.execute(
                    update(ApiTokenRow).where(ApiTokenRow.id == token.id).values(last_used_at=now)
                )
            principal = Principal(
                user_id=user.id,
                email=user.email,
                display_name=user.display_name,
                # Never more than the user has now: a demoted agent's old tokens demote too.
                role=lesser(check_role(token.role), check_role(user.role)),
                via="token",
                token_id=token.id,
            )
            return principal, as_utc(token.expires_at) if token.expires_at else None

    # -- console sessions -----------------------------------------------------------------------

    async def open_session(self, user: User, *, role: Role | None = None) -> NewSession:
        """A session for `user`; `role` caps what it gives (a chat link's: `employee`)."""
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + self.session_lifetime
        async with self._sessions.begin() as session:
            session.add(
                SessionRow(
                    session_hash=digest(session_id),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now,
                    expires_at=expires,
                    role=check_role(role) if role is not None else None,
                )
            )
        return NewSession(cookie_value=session_id, csrf_token=csrf, expires_at=expires)

    async def principal_for_session(self, session_id: str) -> Principal:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(SessionRow, UserRow)
                    .join(UserRow, UserRow.id == SessionRow.user_id)
                    .where(SessionRow.session_hash == digest(session_id))
                )
            ).first()
        if found is None:
            raise NotAuthenticated(reason="no session; sign in again")
        row, user = found
        if as_utc(row.expires_at) <= utcnow():
            raise NotAuthenticated(reason="session expired; sign in again")
        if not user.active:
            raise NotAuthenticated(reason="user disabled")
        return Principal(
            user_id=user.id,
            email=user.email,
            display_name=user.display_name,
            # Never more than the session was opened with, nor than the user has now.
            role=lesser(check_role(row.role or user.role), check_role(user.role)),
            via="session",
            csrf_token=row.csrf_token,
        )

    async def close_session(self, session_id: str) -> None:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(SessionRow).where(SessionRow.session_hash == digest(session_id))
            )
            if row is not None:
                await session.delete(row)

    # -- audit log ------------------------------------------------------------------------------

    async def audit_failed_sign_in(self, typed: str, action: str = "login.failed") -> None:
        """A refused sign-in, under the e-mail typed; never under what is not one."""
        who = sign_in_identifier(typed)
        await self.audit(who, action, target_kind="user", target=who)

    async def audit(
        self,
        actor: Principal | str,
        action: str,
        *,
        target_kind: str,
        target: str,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Write who did what to what; `actor` is the principal, or a name for the CLI."""
        async with self._sessions.begin() as session:
            session.add(
                AuditRow(
                    at=utcnow(),
                    actor=actor.email if isinstance(actor, Principal) else actor,
                    role=actor.role if isinstance(actor, Principal) else "system",
                    action=action,
                    target_kind=target_kind,
                    target=str(target)[:255],
                    data=data or {},
                )
            )

    async def audited_since(
        self, action: str, *, target_kind: str, target: str, since: datetime
    ) -> bool:
        """Whether `action` was audited on this target at or after `since`."""
        query = (
            select(AuditRow.at)
            .where(
                AuditRow.action == action,
                AuditRow.target_kind == target_kind,
                AuditRow.target == target[:255],
            )
            .order_by(AuditRow.id.desc())
            .limit(1)
        )
        async with self._sessions() as session:
            last = await session.scalar(query)
        return last is not None and as_utc(last) >= since

    async def audit_entries(
        self,
        *,
        actor: str | None = None,
        target_kind: str | None = None,
        target: str | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditRow.actor == actor)
        if target_kind is not None:
            query = query.where(AuditRow.target_kind == target_kind)
        if target is not None:
            query = query.where(AuditRow.target == target)
        async with self._sessions() as session:
            rows = (await session.scalars(query)).all()
        return [
            AuditEntry(
                at=as_utc(r.at),
                actor=r.actor,
                role=r.role,
                action=r.action,
                target_kind=r.target_kind,
                target=r.target,
                data=r.data,
            )
            for r in rows
        ]
