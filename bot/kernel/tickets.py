"""The ticket vocabulary, in one place: ITIL statuses and their transitions, impact, urgency,
the priority matrix and the categories."""

from __future__ import annotations

from typing import Literal, get_args

from bot.kernel.errors import Conflict

# Guichet's ITIL statuses; each ITSM backend maps them to and from its own workflow.
Status = Literal[
    "new",
    "assigned",
    "in_progress",
    "awaiting_information",
    "pending",
    "resolved",
    "closed",
    "rejected",
    "reopened",
]
Impact = Literal["person", "team", "organisation"]
Urgency = Literal["low", "high", "critical"]
TicketKind = Literal["incident", "request"]

STATUSES: tuple[Status, ...] = get_args(Status)
IMPACTS: tuple[Impact, ...] = get_args(Impact)
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
CATEGORIES = ("hardware", "software", "network", "security", "access", "request", "other")

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
OPEN_STATUSES: tuple[Status, ...] = (
    "new",
    "assigned",
    "in_progress",
    "awaiting_information",
    "pending",
    "reopened",
)
# While waiting on the requester or a third party, the resolution clock stops.
PAUSED: tuple[Status, ...] = ("awaiting_information", "pending")

# Priority from the impact x urgency matrix (ITIL): P1 is the most pressing. In ITIL's words,
# impact person/team/organisation is low/medium/high and urgency low/high/critical is
# low/medium/high: "critical" is work stopped ("it blocks my work", ServiceNow's 1 - High),
# "high" work slowed down. So one person who cannot work is P3, a blocked team P2.
DEFAULT_MATRIX: dict[str, dict[str, str]] = {
    "person": {"low": "P5", "high": "P4", "critical": "P3"},
    "team": {"low": "P4", "high": "P3", "critical": "P2"},
    "organisation": {"low": "P3", "high": "P2", "critical": "P1"},
}

CATEGORY_BY_INTENT: dict[str, str] = {
    "password_reset": "access",
    "account_locked": "access",
    "mfa_problem": "security",
    "access_request": "access",
    "vpn_problem": "network",
    "wifi_problem": "network",
    "report_outage": "network",
    "email_problem": "software",
    "software_problem": "software",
    "software_request": "request",
    "printer_problem": "hardware",
    "hardware_problem": "hardware",
    "order_equipment": "request",
}


def priority(impact: str, urgency: str, matrix: dict[str, dict[str, str]] | None = None) -> str:
    return (matrix or DEFAULT_MATRIX)[impact][urgency]


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
