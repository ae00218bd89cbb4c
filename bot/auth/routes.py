"""Who am I, and the audit log for admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from bot.api.deps import ServicesDep
from bot.auth.deps import AdminUser, CurrentUser
from bot.auth.roles import Role
from bot.auth.store import AuditEntry

router = APIRouter(prefix="/api/v1", tags=["access"])


class Me(BaseModel):
    email: str
    display_name: str
    role: Role
    via: str
    csrf_token: str | None  # with a console session: what changes must send in X-CSRF-Token


@router.get("/me", response_model=Me)
async def me(user: CurrentUser) -> Me:
    return Me(
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        via=user.via,
        csrf_token=user.csrf_token,
    )


@router.get("/audit", response_model=list[AuditEntry])
async def audit_log(
    services: ServicesDep,
    _admin: AdminUser,
    actor: Annotated[str | None, Query(max_length=255)] = None,
    target_kind: Annotated[str | None, Query(max_length=32)] = None,
    target: Annotated[str | None, Query(max_length=255)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    """Newest first: who did what to what, when."""
    return await services.auth.audit_entries(
        actor=actor, target_kind=target_kind, target=target, limit=limit
    )
