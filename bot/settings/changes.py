"""Planned maintenance and changes read from the ITSM tools (`GUICHET_CHANGES__*`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChangeSettings(BaseModel):
    """Which change calendars are read, when maintenance is shown and announced, and how a
    change's page compares its window with the weeks before."""

    calendars: list[str] = Field(
        default_factory=list,
        description="ITSM tools whose change calendars are read, e.g. '[\"servicenow\"]' "
        "(servicenow, jira_service_management, glpi); their connection is GUICHET_ITSM__*",
    )
    calendar_interval_seconds: float = Field(
        300.0, gt=0, description="how often the sync worker reads the change calendars"
    )
    show_ahead_hours: float = Field(
        12.0, ge=0, le=24 * 14, description="a maintenance shows as upcoming this long before"
    )
    announce_hours: float = Field(
        24.0, ge=0, le=24 * 30, description="those affected are told this long before the start"
    )
    service_groups: dict[str, str] = Field(
        default_factory=dict,
        description='service → directory group of its users, e.g. \'{"VPN": "vpn-users"}\'; '
        "a service not listed reaches the requesters of its recent tickets",
    )
    recent_ticket_days: int = Field(
        90, ge=1, le=365, description="requesters of tickets on the service this recent"
    )
    baseline_weeks: int = Field(
        4, ge=1, le=26, description="a change's window is compared with these weeks before"
    )
    after_hours: float = Field(
        24.0, ge=0, le=24 * 14, description="the window observed runs this long past the end"
    )
    similar_title: float = Field(
        0.6, gt=0, le=1, description="cosine of two changes' titles above which they are similar"
    )
