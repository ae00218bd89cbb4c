"""FastAPI dependencies: who is calling, and whether their role allows it."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, Signer

from bot.auth.roles import Principal, Role
from bot.auth.store import AuthStore
from bot.kernel.errors import Forbidden, NotAuthenticated, NotReady

SESSION_COOKIE = "guichet_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_signer(secret: str) -> Signer:
    return Signer(secret, salt="guichet.session")


def auth_store(request: Request) -> AuthStore:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise NotReady(component="service", reason="still starting")
    store: AuthStore = services.auth
    return store


def _secret(request: Request) -> str:
    secret: str = request.app.state.services.settings.secret_key.get_secret_value()
    return secret


async def _check_csrf(request: Request, principal: Principal) -> None:
    """A cookie rides along on requests other sites make: changes need the session's token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, principal.csrf_token or ""):
        raise Forbidden(
            who=principal.email,
            action=f"{request.method} {request.url.path}",
            reason=f"missing or wrong CSRF token (form field {CSRF_FIELD!r} or "
            f"header {CSRF_HEADER})",
        )


async def _authenticate(request: Request) -> Principal:
    store = auth_store(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            raise NotAuthenticated(
                reason="expected 'Authorization: Bearer TOKEN'", bearer_error="invalid_request"
            )
        return await store.principal_for_token(credentials.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        try:
            session_id = cookie_signer(_secret(request)).unsign(cookie).decode()
        except BadSignature:
            raise NotAuthenticated(reason="session cookie not valid; sign in again") from None
        principal = await store.principal_for_session(session_id)
        if request.method not in SAFE_METHODS:
            await _check_csrf(request, principal)
        return principal
    raise NotAuthenticated(
        reason="no credentials: send 'Authorization: Bearer TOKEN' or sign in at /console/login"
    )


async def current_user(request: Request) -> Principal:
    """The caller, authenticated once per request (the result is kept on request.state)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        principal = await _authenticate(request)
        request.state.principal = principal
    return principal


async def optional_user(request: Request) -> Principal | None:
    """The caller if they sent credentials (which must then be valid), else None."""
    if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
        return None
    return await current_user(request)


def require_role(minimum: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency letting through `minimum` and the roles above it (employee < agent <
    admin); 401 without credentials, 403 with a lower role."""

    async def dependency(request: Request) -> Principal:
        principal = await current_user(request)
        if not principal.has_role(minimum):
            raise Forbidden(
                who=principal.email,
                action=f"{request.method} {request.url.path}",
                reason=f"needs role {minimum} or above, not {principal.role}",
            )
        return principal

    return dependency


def check_owner(principal: Principal, owner: str, what: str) -> None:
    """Employees act only on their own conversations and tickets (403 otherwise)."""
    if not principal.may_see(owner):
        raise Forbidden(who=principal.email, action=f"see {what}", reason="it belongs to another")


CurrentUser = Annotated[Principal, Depends(current_user)]
MaybeUser = Annotated[Principal | None, Depends(optional_user)]
AgentUser = Annotated[Principal, Depends(require_role("agent"))]
AdminUser = Annotated[Principal, Depends(require_role("admin"))]
