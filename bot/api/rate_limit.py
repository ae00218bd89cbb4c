"""The rate limit every route goes through: which category a request is, and who sends it.

Categories: `messages` (any POST to a path ending in `/messages`, and the Rasa REST webhook),
`suggestions` (paths ending in `/suggest` or `/search`), `writes` (every other POST, PUT,
PATCH or DELETE). Reads are not limited.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy import select

from bot.auth.deps import optional_user
from bot.kernel.errors import GuichetError
from bot.protection.ratelimit import Category, RateLimits
from bot.storage.tables import ConversationRow

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


async def _user_of(request: Request) -> str | None:
    """The authenticated caller, else the owner of the conversation written to, else None."""
    try:
        principal = await optional_user(request)
    except GuichetError:  # not our credentials (a vendor's), or wrong: the route decides
        principal = None
    if principal is not None:
        return principal.email
    conversation_id = request.path_params.get("conversation_id")
    services = getattr(request.app.state, "services", None)
    if not conversation_id or services is None:
        return None
    async with services.database.sessions() as session:
        owner: str | None = await session.scalar(
            select(ConversationRow.user_id).where(ConversationRow.id == conversation_id)
        )
    return owner


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
