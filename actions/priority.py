"""Priority from the impact × urgency matrix (ITIL): P1 is the most pressing."""

from __future__ import annotations

IMPACTS = ("person", "team", "organisation")
URGENCIES = ("low", "high", "critical")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")

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
