"""Who approves a catalog item, as the catalog says it (`approver:` of each item).

- `manager`: the requester's manager, from the organisation's directory;
- `group:<name>`: any member of that directory group;
- `none`: nobody, the order goes straight to the service desk.

The older words `app_owner` and `security` name the groups of those names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.kernel.errors import Forbidden

GROUP_PREFIX = "group:"
LEGACY_GROUPS = frozenset({"app_owner", "security"})
# What the approval of a request stands at, in its ticket's details["approval"].
ApprovalState = Literal["not_needed", "waiting", "approved", "rejected"]


@dataclass(frozen=True)
class ApproverRule:
    kind: Literal["manager", "group", "none"]
    group: str | None = None

    def __str__(self) -> str:
        return f"{GROUP_PREFIX}{self.group}" if self.kind == "group" else self.kind


def approver_rule(text: str) -> ApproverRule:
    """Read the catalog's `approver:`; ValueError naming the accepted forms otherwise."""
    value = text.strip()
    if value in ("manager", "none"):
        return ApproverRule(value)  # type: ignore[arg-type]
    if value in LEGACY_GROUPS:
        return ApproverRule("group", value)
    if value.startswith(GROUP_PREFIX) and value[len(GROUP_PREFIX) :].strip():
        return ApproverRule("group", value[len(GROUP_PREFIX) :].strip())
    raise ValueError(f"approver {text!r}: expected 'manager', 'none' or 'group:<directory group>'")


class NotTheApprover(Forbidden):
    """Someone other than the approver (or an administrator) tried to decide (HTTP 403)."""

    def __init__(self, *, who: str, reference: str) -> None:
        super().__init__(
            who=who,
            action=f"decide on {reference}",
            reason="only its approver, an administrator or, once escalated, the service desk may",
        )
        self.reference = reference
