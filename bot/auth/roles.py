"""Roles and the authenticated principal every protected route receives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Role = Literal["employee", "agent", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)
_RANK: dict[str, int] = {role: rank for rank, role in enumerate(ROLES)}


def check_role(value: str) -> Role:
    """`value` as a Role, or ValueError naming the known ones."""
    if value not in _RANK:
        raise ValueError(f"unknown role {value!r}; expected one of {', '.join(ROLES)}")
    return value  # type: ignore[return-value]


def lesser(first: Role, second: Role) -> Role:
    """The lower of two roles: what a token of role `first` gives a user of role `second`."""
    return first if _RANK[first] <= _RANK[second] else second


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, with the role of the token or the session used."""

    user_id: int
    email: str
    display_name: str
    role: Role
    via: Literal["token", "session"]
    csrf_token: str | None = None  # sessions only: what forms and scripts must send back
    token_id: int | None = None

    def has_role(self, minimum: Role) -> bool:
        """Roles are ordered employee < agent < admin."""
        return _RANK[self.role] >= _RANK[minimum]

    @property
    def is_agent(self) -> bool:
        return self.has_role("agent")

    def may_see(self, owner: str) -> bool:
        """Employees see only what is theirs; agents and admins see everything."""
        return self.is_agent or owner.casefold() == self.email.casefold()
