"""The ITIL incident lifecycle: statuses and the transitions allowed between them."""

from __future__ import annotations

from typing import get_args

from bot.errors import Conflict
from connectors.itsm.protocol import Status

STATUSES: tuple[Status, ...] = get_args(Status)

TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    "new": ("assigned", "in_progress", "awaiting_information", "pending", "resolved", "rejected"),
    "assigned": ("in_progress", "awaiting_information", "pending", "resolved", "rejected"),
    "in_progress": ("awaiting_information", "pending", "resolved", "assigned"),
    "awaiting_information": ("in_progress", "assigned", "resolved", "closed"),
    "pending": ("in_progress", "assigned", "resolved", "rejected"),
    "resolved": ("closed", "reopened"),
    "reopened": ("assigned", "in_progress", "awaiting_information", "pending", "resolved"),
    "closed": (),
    "rejected": (),
}
OPEN: tuple[Status, ...] = (
    "new",
    "assigned",
    "in_progress",
    "awaiting_information",
    "pending",
    "reopened",
)
# While waiting on the requester or a third party, the resolution clock stops.
PAUSED: tuple[Status, ...] = ("awaiting_information", "pending")


class InvalidTransition(Conflict):
    def __init__(self, *, reference: str, current: str, requested: str) -> None:
        allowed = TRANSITIONS.get(current, ())  # type: ignore[call-overload]
        super().__init__(
            reference=reference,
            problem=f"cannot go from {current!r} to {requested!r}",
            allowed=", ".join(allowed) or "none (final status)",
        )
        self.allowed = list(allowed)


def check_transition(reference: str, current: Status, requested: Status) -> None:
    if requested not in TRANSITIONS[current]:
        raise InvalidTransition(reference=reference, current=current, requested=requested)
