"""The rate limit every route goes through: which category a request is, and who sends it.

Categories: `messages` (any POST to a path ending in `/messages`, and the Rasa REST webhook),
`suggestions` (paths ending in `/suggest` or `/search`), `writes` (every other POST, PUT,
PATCH or DELETE). Reads are not limited.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request

from bot.auth.deps import optional_user
from bot.kernel.errors import GuichetError
from bot.protection.ratelimit import Category, RateLimits

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MESSAGE_PATHS = frozenset({"/webhooks/rest/webhook"})


def category_of(method: str, path: str) -> Category | None:
    if method == "POST" and (path.endswith("/messages") or path in MESSAGE_PATHS):
        return "messages"
    if path.endswith(("/suggest", "/search")):
        return "suggestions"
    if method in UNSAFE_METHODS:
        return "writes"
    return None


CallerOf = Callable[[Request], Awaitable[str | None]]
"""Who a channel's own credentials say the caller is (verified), or None."""


def add_caller_check(app: FastAPI, caller_of: CallerOf) -> None:
    """Let a channel with credentials of its own (the widget's portal token) name the caller,
    so that its users get per-user limits too."""
    checks: list[CallerOf] = getattr(app.state, "rate_limit_callers", [])
    checks.append(caller_of)
    app.state.rate_limit_callers = checks


async def _user_of(request: Request) -> str | None:
    """The caller as verified credentials say, else None: an unauthenticated request counts
    against its address only. (It used to count against the owner of the conversation it
    named, so 30 anonymous 401s used up the owner's budget: issue 13, row 14.)"""
    try:
        principal = await optional_user(request)
    except GuichetError:  # not our credentials (a vendor's), or wrong: the route decides
        principal = None
    if principal is not None:
        return principal.email
    callers: list[CallerOf] = getattr(request.app.state, "rate_limit_callers", [])
    for caller_of in callers:
        caller = await caller_of(request)
        if caller:
            return caller
    return None


async def rate_limit(request: Request) -> None:
    """Count this request against its sender's limits; 429 with Retry-After when spent."""
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    route = request.scope.get("route")
    path: str = getattr(route, "path", request.url.path)
    category = category_of(request.method, path)
    if limits is None or category is None or not limits.settings.enabled:
        return
    exempt = any(
        path.startswith(entry) if entry.endswith("/") else path == entry
        for entry in limits.settings.ip_exempt_paths
    )
    ip = None if exempt or request.client is None else request.client.host
    await limits.check(category, user=await _user_of(request), ip=ip)
