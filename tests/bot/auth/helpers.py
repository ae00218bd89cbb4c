"""Credentials for tests that call protected routes: real tokens made through the store."""

from __future__ import annotations

from bot.auth import Role
from bot.services import Services

ADMIN_EMAIL = "admin@norvane.example"


async def bearer(
    services: Services, *, role: Role = "admin", email: str = ADMIN_EMAIL
) -> dict[str, str]:
    """An `Authorization` header with a new token for `email` in `role`."""
    _, secret = await services.auth.create_token(email, role=role, label="test")
    return {"Authorization": f"Bearer {secret}"}
