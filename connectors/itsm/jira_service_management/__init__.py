"""Jira Service Management requests, through the service desk and platform REST APIs."""

from __future__ import annotations

from bot.settings.itsm import ItsmSettings
from connectors.itsm.jira_service_management.backend import JiraServiceManagementBackend


def build(settings: ItsmSettings) -> JiraServiceManagementBackend:
    return JiraServiceManagementBackend(
        settings.jira_service_management, timeout=settings.timeout_seconds
    )
