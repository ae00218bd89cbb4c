"""Who may do what: users, bearer tokens, console sessions, roles and the audit log.

Roles are ordered ``employee < agent < admin``. Protect a route by taking one of these
``Annotated`` aliases as a parameter (from ``bot.auth``); the check runs server-side before the
route body:

``CurrentUser``
    Any authenticated caller (bearer token, or console session cookie). Without credentials,
    or with wrong, expired or revoked ones: 401 with ``WWW-Authenticate: Bearer``.
``AgentUser``
    Agents and admins; an employee gets 403.
``AdminUser``
    Admins only.
``require_role(minimum)``
    The dependency behind those, for ``dependencies=[Depends(require_role("agent"))]`` on a
    router or ``Annotated[Principal, Depends(require_role("agent"))]``.
``MaybeUser``
    ``Principal | None`` for public routes that do more for a known caller.
``check_owner(principal, owner, what)``
    403 unless the caller is an agent or admin, or ``owner`` is their own e-mail.

Each gives a ``Principal`` (``email``, ``display_name``, ``role``, ``has_role()``,
``is_agent``, ``may_see(owner)``). Requests authenticated by the session cookie that change
something (POST, PUT, PATCH, DELETE) must carry the session's CSRF token, in the
``X-CSRF-Token`` header or the ``csrf_token`` form field, else 403.

Record what agents and admins do with ``services.auth.audit(principal, "action",
target_kind="ticket", target=reference, data={...})``.

Example::

    @router.get("/api/v1/kpis")
    async def kpis(agent: AgentUser, services: ServicesDep) -> Kpis: ...
"""

from __future__ import annotations

from bot.auth.deps import (
    AdminUser,
    AgentUser,
    CurrentUser,
    MaybeUser,
    check_owner,
    current_user,
    optional_user,
    require_role,
)
from bot.auth.roles import ROLES, Principal, Role
from bot.auth.store import AuthStore

__all__ = [
    "ROLES",
    "AdminUser",
    "AgentUser",
    "AuthStore",
    "CurrentUser",
    "MaybeUser",
    "Principal",
    "Role",
    "check_owner",
    "current_user",
    "optional_user",
    "require_role",
]
